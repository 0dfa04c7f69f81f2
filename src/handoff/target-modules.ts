/**
 * An expert's LoRA `targetModules` as PEFT `target_modules` for a Hugging Face model. A model on the studio's
 * Hugging Face kernels already uses the HF module paths (encoder.layer.N.attention.self.query,
 * model.layers.N.self_attn.q_proj …), so its patterns pass through (PEFT's suffix rule is the studio's). USE-lite's
 * modules have no HF twins: each is mapped by its role to the BERT-family and decoder names as one regex
 * (PEFT full-matches a string), so the recipe adapts the same parts of whichever model the project trains.
 */
import { fusedPattern } from '../train/lora-targets';
import type { LoraConfig } from '../train/types';

/** USE-lite module leaf -> the regex of the same role in BERT-family and decoder (Llama/Qwen/Gemma; Phi-3's
 * fused qkv_proj / gate_up_proj for any of their slices) models. */
const USE_LITE_ROLES: Readonly<Record<string, string>> = {
  'attention.query': String.raw`(?:attention\.self\.query|self_attn\.q_proj|self_attn\.qkv_proj)`,
  'attention.key': String.raw`(?:attention\.self\.key|self_attn\.k_proj|self_attn\.qkv_proj)`,
  'attention.value': String.raw`(?:attention\.self\.value|self_attn\.v_proj|self_attn\.qkv_proj)`,
  'attention.output': String.raw`(?:attention\.output\.dense|self_attn\.o_proj)`,
  'ffn.conv1': String.raw`(?:intermediate\.dense|mlp\.gate_proj|mlp\.up_proj|mlp\.gate_up_proj)`,
  'ffn.conv2': String.raw`(?:(?<!attention\.)output\.dense|mlp\.down_proj)`,
};

export interface MappedTargets {
  /** PEFT target_modules: "all-linear", a list of suffixes, or one full-match regex */
  targetModules: string | string[];
  /** patterns with no counterpart (dropped), for the README */
  dropped: string[];
  /**
   * fused modules added for patterns naming a row slice ("q_proj -> qkv_proj"): PEFT adapts whole linears,
   * so on Phi-3 (fused qkv_proj / gate_up_proj) it trains the whole fused matrix where the studio adapts the
   * slice's rows only (a model with q_proj itself ignores the added name), for the README
   */
  fused: string[];
}

const USE_LITE_PATH = /^(?:encoder\.layers\.(\d+)\.)?(attention\.(?:query|key|value|output)|ffn\.conv[12])$/;

export function hfTargetModules(baseModel: string, target: LoraConfig['targetModules']): MappedTargets {
  if (target === 'all-linear') return { targetModules: 'all-linear', dropped: [], fused: [] };
  if (baseModel !== 'use-lite') {
    const out = [...target];
    const fused: string[] = [];
    for (const p of target) {
      const f = fusedPattern(p);
      if (f && !out.includes(f)) {
        out.push(f);
        fused.push(`${p} -> ${f}`);
      }
    }
    return { targetModules: out, dropped: [], fused };
  }
  const parts: string[] = [];
  const dropped: string[] = [];
  for (const p of target) {
    const m = USE_LITE_PATH.exec(p);
    if (!m) {
      dropped.push(p);
      continue;
    }
    const layer = m[1] === undefined ? String.raw`\d+` : m[1];
    parts.push(String.raw`(?:.*\.)?layers?\.${layer}\.${USE_LITE_ROLES[m[2]]}`);
  }
  if (!parts.length)
    throw new Error(
      `LoRA target modules ${target.join(', ')} have no counterpart in a Hugging Face model; train the expert with all-linear or query/key/value/output/ffn modules`,
    );
  return { targetModules: parts.length === 1 ? parts[0] : `(?:${parts.join('|')})`, dropped, fused: [] };
}
