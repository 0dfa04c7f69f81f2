/**
 * Test support for merging LoRA experts: random PEFT-named LoRA weights (lora_A [r, in], lora_B [out, r],
 * both non-zero) over a model's linears, and the tiny Hugging Face models of scripts/make-tiny-models.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { TINY_MODELS_DIR } from '../../scripts/make-tiny-models';
import { HfEmbedder } from '../models/hf/embedder';
import type { LinearModule } from '../nn/ops';
import type { LoraConfig } from '../train/types';
import { randomF32 } from './backends';

export type PeftWeights = Map<string, { shape: number[]; data: Float32Array }>;

/** Random PEFT weights of rank cfg.rank on `modules` (seeded; |B| up to `bScale`). */
export function randomPeft(
  modules: readonly LinearModule[],
  cfg: LoraConfig,
  seed: number,
  bScale = 0.3,
): PeftWeights {
  const r = cfg.rank;
  const out: PeftWeights = new Map();
  modules.forEach((m, i) => {
    const a = 1 / Math.sqrt(m.inDim);
    out.set(`base_model.model.${m.path}.lora_A.weight`, {
      shape: [r, m.inDim],
      data: randomF32(r * m.inDim, seed * 1000 + 2 * i, -a, a),
    });
    out.set(`base_model.model.${m.path}.lora_B.weight`, {
      shape: [m.outDim, r],
      data: randomF32(r * m.outDim, seed * 1000 + 2 * i + 1, -bScale, bScale),
    });
  });
  return out;
}

/**
 * A tiny HF model of scripts/make-tiny-models ('tiny-bert', 'tiny-qwen3') with its safetensors bytes;
 * `weightsOverride` replaces its model.safetensors (e.g. a folded export).
 */
export async function tinyHf(
  name: string,
  batchSize = 2,
  weightsOverride?: ArrayBuffer,
): Promise<{ model: HfEmbedder; weights: ArrayBuffer }> {
  const dir = join(TINY_MODELS_DIR, name);
  const json = (f: string) => JSON.parse(readFileSync(join(dir, f), 'utf8')) as Record<string, unknown>;
  const b = readFileSync(join(dir, 'model.safetensors'));
  const weights =
    weightsOverride ?? (b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer);
  const model = await HfEmbedder.create(
    {
      config: json('config.json'),
      tokenizer: json('tokenizer.json'),
      tokenizerConfig: json('tokenizer_config.json'),
      weights,
      source: dir,
    },
    { batchSize },
  );
  return { model, weights };
}
