/**
 * The decoder families of config.json (as Hugging Face transformers reads them):
 * - qwen3 (per-head q/k RMSNorm), qwen2 (q/k/v biases), llama (neither; optional attention_bias): SwiGLU;
 *   rope_scaling linear / dynamic / llama3 / longrope (or none/default)
 * - gemma: RMSNorm by (1 + weight), embeddings times sqrt(hidden) (rounded to f32), GeGLU with tanh-GELU
 *   (hidden_activation; gelu_pytorch_tanh when unset), head_dim from config, tied embeddings by default
 * - gemma2: gemma plus query_pre_attn_scalar^-0.5 as the attention scale, attn_logit_softcapping,
 *   final_logit_softcapping (the LM head), sandwich norms, sliding_window on the layers HF marks sliding
 *   (layer_types "sliding_attention", else the even layer indices, as Gemma2DecoderLayer's is_sliding)
 * - phi3 (Phi-3, Phi-4-mini): fused qkv_proj / gate_up_proj, partial_rotary_factor, longrope with
 *   original_max_position_embeddings, sliding_window on every layer
 */
import type { Activation } from '../../core/transformer-ops';
import {
  ConfigError,
  DECODER_MODEL_TYPES,
  type DecoderConfig,
  type DecoderModelType,
  type RopeScaling,
} from './config-types';

export interface FieldReaders {
  int(key: string, fallback?: number, min?: number): number;
  num(key: string, fallback: number): number;
  act(key: string, fallback: string): Activation;
}

export function isDecoderType(t: string): t is DecoderModelType {
  return (DECODER_MODEL_TYPES as readonly string[]).includes(t);
}

const GEMMA = new Set(['gemma', 'gemma2']);

export function parseDecoder(
  o: Record<string, unknown>,
  type: DecoderModelType,
  file: string,
  { int, num, act }: FieldReaders,
): DecoderConfig {
  const fail = (detail: string): never => {
    throw new ConfigError(file, detail);
  };
  const gemma = GEMMA.has(type);
  const hidden = int('hidden_size');
  const heads = int('num_attention_heads');
  const kvHeads = int('num_key_value_heads', heads);
  const layers = int('num_hidden_layers');
  if (heads % kvHeads)
    fail(`num_attention_heads ${heads} is not a multiple of num_key_value_heads ${kvHeads}`);
  if ((o.head_dim == null || type === 'phi3') && hidden % heads)
    fail(`hidden_size ${hidden} is not divisible by num_attention_heads ${heads}`);
  // phi3 derives the head size from hidden_size (HF's Phi3Attention ignores any head_dim)
  const headDim = type === 'phi3' ? hidden / heads : int('head_dim', gemma ? 256 : hidden / heads);
  if (headDim % 2) fail(`head_dim ${headDim} must be even for rotary embeddings`);
  const maxPositions = int('max_position_embeddings', gemma ? 8192 : type === 'phi3' ? 4096 : 32768);

  // the gated MLP's activation: gemma reads hidden_activation (HF's GemmaMLP / Gemma2MLP), tanh-GELU when
  // unset (HF then ignores hidden_act, e.g. gemma-2b's "gelu", with a warning)
  const actKey = gemma ? 'hidden_activation' : 'hidden_act';
  const mlpAct = act(actKey, gemma ? 'gelu_pytorch_tanh' : 'silu');
  if (!gemma && mlpAct !== 'silu')
    fail(`hidden_act ${JSON.stringify(o.hidden_act)} is not supported for ${type} (only silu)`);
  if (gemma && mlpAct !== 'gelu_tanh' && mlpAct !== 'gelu')
    fail(
      `${actKey} ${JSON.stringify(o[actKey])} is not supported for ${type} (GeGLU: gelu_pytorch_tanh, gelu)`,
    );

  let rotaryDim = headDim;
  if (type === 'phi3') {
    const prf = o.partial_rotary_factor ?? 1;
    if (typeof prf !== 'number' || !(prf > 0 && prf <= 1))
      fail(`"partial_rotary_factor" must be a number in (0, 1], got ${JSON.stringify(prf)}`);
    rotaryDim = Math.floor(headDim * (prf as number));
    if (rotaryDim % 2 || rotaryDim < 2)
      fail(`partial_rotary_factor ${String(prf)} gives ${rotaryDim} rotary dims of ${headDim}: must be even`);
  }
  const ropeScaling = parseRopeScaling(o, type, rotaryDim, maxPositions, fail);

  const eos = o.eos_token_id;
  const eosTokenIds = eos == null ? [] : Array.isArray(eos) ? eos : [eos];
  if (!eosTokenIds.every((x) => Number.isInteger(x) && x >= 0))
    fail(`"eos_token_id" must be an integer or a list of integers, got ${JSON.stringify(eos)}`);
  const attentionBias = o.attention_bias === true;
  const tie = o.tie_word_embeddings ?? (gemma ? true : undefined);
  if (tie != null && typeof tie !== 'boolean')
    fail(`"tie_word_embeddings" must be true or false, got ${JSON.stringify(tie)}`);

  const softcap = (key: string, fallback: number | null): number | null => {
    if (type !== 'gemma2') return null;
    const v = key in o ? o[key] : fallback;
    if (v == null) return null;
    if (typeof v !== 'number' || !(v > 0) || !Number.isFinite(v))
      fail(`"${key}" must be a positive number or null, got ${JSON.stringify(v)}`);
    return v as number;
  };
  const layerWindows = parseWindows(o, type, layers, maxPositions, fail);
  const attnScale =
    type === 'gemma2' ? 1 / Math.sqrt(num('query_pre_attn_scalar', 256)) : 1 / Math.sqrt(headDim);

  return {
    family: 'decoder',
    modelType: type,
    vocabSize: int('vocab_size'),
    hidden,
    layers,
    heads,
    kvHeads,
    headDim,
    intermediate: int('intermediate_size'),
    eps: num('rms_norm_eps', type === 'phi3' ? 1e-5 : 1e-6),
    ropeTheta: num('rope_theta', 10000),
    maxPositions,
    qkvBias: type === 'qwen2' || attentionBias,
    oBias: type !== 'qwen2' && attentionBias,
    qkNorm: type === 'qwen3',
    eosTokenIds: eosTokenIds as number[],
    bosTokenId: typeof o.bos_token_id === 'number' ? o.bos_token_id : null,
    tieWordEmbeddings: (tie as boolean | undefined) ?? null,
    normAddOne: gemma,
    // HF: hidden_states * torch.tensor(hidden_size**0.5, dtype=hidden_states.dtype); f32 weights here
    embedScale: gemma ? Math.fround(Math.sqrt(hidden)) : 1,
    mlpAct,
    attnScale,
    sandwichNorms: type === 'gemma2',
    attnSoftcap: softcap('attn_logit_softcapping', 50),
    finalSoftcap: softcap('final_logit_softcapping', 30),
    layerWindows,
    fusedProjections: type === 'phi3',
    rotaryDim,
    ropeScaling,
  };
}

function parseWindows(
  o: Record<string, unknown>,
  type: DecoderModelType,
  layers: number,
  maxPositions: number,
  fail: (d: string) => never,
): (number | null)[] {
  const none = new Array<number | null>(layers).fill(null);
  if (type !== 'gemma2' && type !== 'phi3') return none;
  const w = o.sliding_window ?? (type === 'gemma2' ? 4096 : null);
  if (w == null) return none;
  if (typeof w !== 'number' || !Number.isInteger(w) || w < 1)
    fail(`"sliding_window" must be a positive integer or null, got ${JSON.stringify(w)}`);
  // a window as long as every input the model takes hides nothing
  const win = (w as number) >= maxPositions ? null : (w as number);
  if (type === 'phi3') return none.map(() => win);
  const lt = o.layer_types;
  if (lt != null) {
    if (!Array.isArray(lt) || lt.length !== layers)
      fail(`"layer_types" must list ${layers} entries (one per layer), got ${JSON.stringify(lt)}`);
    return (lt as unknown[]).map((t, i) => {
      if (t === 'sliding_attention') return win;
      if (t === 'full_attention') return null;
      return fail(`layer_types[${i}] ${JSON.stringify(t)} is not "sliding_attention" or "full_attention"`);
    });
  }
  return none.map((_, i) => (i % 2 === 0 ? win : null));
}

const ROPE_TYPES = ['default', 'linear', 'dynamic', 'llama3', 'longrope'];

function parseRopeScaling(
  o: Record<string, unknown>,
  type: DecoderModelType,
  rotaryDim: number,
  maxPositions: number,
  fail: (d: string) => never,
): RopeScaling {
  const s = o.rope_scaling;
  if (s == null) return { type: 'default' };
  if (typeof s !== 'object' || Array.isArray(s)) fail(`"rope_scaling" must be an object or null`);
  const r = s as Record<string, unknown>;
  let kind = r.rope_type ?? r.type;
  if (kind === 'su') kind = 'longrope'; // Phi-3's first name for it
  if (typeof kind !== 'string' || !ROPE_TYPES.includes(kind) || (gemmaType(type) && kind !== 'default'))
    fail(
      `rope_scaling type ${JSON.stringify(kind)} is not supported for ${type} (supported: ${
        gemmaType(type) ? 'none/default' : ROPE_TYPES.join(', ')
      })`,
    );
  const pos = (key: string, v: unknown = r[key]): number => {
    if (typeof v !== 'number' || !(v > 0) || !Number.isFinite(v))
      fail(`rope_scaling.${key} must be a positive number, got ${JSON.stringify(v)}`);
    return v as number;
  };
  switch (kind) {
    case 'linear':
      return { type: 'linear', factor: pos('factor') };
    case 'dynamic':
      // HF's dynamic NTK measures the input against max_position_embeddings; its exponent r / (r - 2)
      if (rotaryDim <= 2) fail(`rope_scaling "dynamic" needs more than 2 rotary dims, got ${rotaryDim}`);
      return { type: 'dynamic', factor: pos('factor'), originalMax: maxPositions };
    case 'llama3': {
      const low = pos('low_freq_factor');
      const high = pos('high_freq_factor');
      if (!(high > low)) fail(`rope_scaling.high_freq_factor ${high} must exceed low_freq_factor ${low}`);
      return {
        type: 'llama3',
        factor: pos('factor'),
        lowFreqFactor: low,
        highFreqFactor: high,
        originalMax: pos('original_max_position_embeddings'),
      };
    }
    case 'longrope': {
      const factors = (key: string): number[] => {
        const v = r[key];
        if (
          !Array.isArray(v) ||
          v.length !== rotaryDim / 2 ||
          !v.every((x) => typeof x === 'number' && x > 0)
        )
          fail(
            `rope_scaling.${key} must list ${rotaryDim / 2} positive numbers (rotary dims / 2), got ${
              Array.isArray(v) ? `${v.length} entries` : JSON.stringify(v)
            }`,
          );
        return v as number[];
      };
      // Phi-3 keeps the pretrained context in original_max_position_embeddings beside the extended one
      const hasOrig = o.original_max_position_embeddings != null;
      const originalMax = hasOrig
        ? pos('original_max_position_embeddings', o.original_max_position_embeddings)
        : maxPositions;
      const factor = hasOrig ? maxPositions / originalMax : r.factor == null ? 1 : pos('factor');
      const attentionFactor =
        r.attention_factor != null
          ? pos('attention_factor')
          : factor <= 1
            ? 1
            : Math.sqrt(1 + Math.log(factor) / Math.log(originalMax));
      return {
        type: 'longrope',
        shortFactor: factors('short_factor'),
        longFactor: factors('long_factor'),
        originalMax,
        attentionFactor,
      };
    }
    default:
      return { type: 'default' };
  }
}

function gemmaType(t: DecoderModelType): boolean {
  return GEMMA.has(t);
}
