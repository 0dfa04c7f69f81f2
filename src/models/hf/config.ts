/**
 * config.json of a Hugging Face transformers model -> the architecture description the native engine
 * runs. Encoders: 'bert', 'roberta', 'xlm-roberta'. Decoders: 'qwen3' (per-head q/k RMSNorm), 'qwen2'
 * (q/k/v biases), 'llama' (neither; optional attention_bias). Anything else throws a ConfigError.
 */
import type { Activation } from '../../core/transformer-ops';

export class ConfigError extends Error {
  constructor(
    readonly file: string,
    detail: string,
  ) {
    super(`${file}: ${detail}`);
    this.name = 'ConfigError';
  }
}

export interface BertConfig {
  readonly family: 'bert';
  readonly modelType: string;
  readonly vocabSize: number;
  readonly hidden: number;
  readonly layers: number;
  readonly heads: number;
  readonly intermediate: number;
  readonly act: Activation;
  readonly maxPositions: number;
  readonly typeVocabSize: number;
  readonly eps: number;
  /** first position id (RoBERTa: pad_token_id + 1; BERT: 0) */
  readonly positionOffset: number;
}

/**
 * rope_scaling of config.json (issue 13): how the per-pair rotary frequencies are derived
 * (models/hf/rope-scaling.ts turns this into RopeOptions.invFreq / mscale for a sequence length).
 */
export type RopeScaling =
  | { readonly type: 'default' }
  | { readonly type: 'linear'; readonly factor: number }
  | { readonly type: 'dynamic'; readonly factor: number; readonly originalMax: number }
  | {
      readonly type: 'llama3';
      readonly factor: number;
      readonly lowFreqFactor: number;
      readonly highFreqFactor: number;
      readonly originalMax: number;
    }
  | {
      readonly type: 'longrope';
      readonly shortFactor: readonly number[];
      readonly longFactor: readonly number[];
      readonly originalMax: number;
      /** cos/sin multiplier (config's attention_factor, else sqrt(1 + ln(max/originalMax)/ln(originalMax))) */
      readonly attentionFactor: number;
    };

export type DecoderModelType = 'qwen3' | 'qwen2' | 'llama' | 'gemma' | 'gemma2' | 'phi3';

export interface DecoderConfig {
  readonly family: 'decoder';
  readonly modelType: DecoderModelType;
  readonly vocabSize: number;
  readonly hidden: number;
  readonly layers: number;
  readonly heads: number;
  readonly kvHeads: number;
  readonly headDim: number;
  readonly intermediate: number;
  readonly eps: number;
  readonly ropeTheta: number;
  readonly maxPositions: number;
  /** q_proj/k_proj/v_proj carry biases */
  readonly qkvBias: boolean;
  /** o_proj carries a bias */
  readonly oBias: boolean;
  /** per-head RMSNorm on q and k before RoPE (Qwen3) */
  readonly qkNorm: boolean;
  readonly eosTokenIds: readonly number[];
  readonly bosTokenId: number | null;
  /** the LM head is the token table (tie_word_embeddings; null when config.json does not say) */
  readonly tieWordEmbeddings: boolean | null;
  // ---- issue 13: the Gemma / Gemma 2 / Phi-3 variations (qwen/llama values in brackets) ----
  /** RMSNorm scales by (1 + weight) (gemma, gemma2) [false] */
  readonly normAddOne: boolean;
  /** token embeddings are multiplied by this (gemma: sqrt(hidden) rounded to the weights' dtype) [1] */
  readonly embedScale: number;
  /** the gated MLP's activation on the gate: silu = SwiGLU; gelu_tanh = GeGLU (gemma) [silu] */
  readonly mlpAct: Activation;
  /** attention scale (1/sqrt(headDim); gemma2: query_pre_attn_scalar^-0.5) */
  readonly attnScale: number;
  /** gemma2: post_attention_layernorm on the attention output and pre/post_feedforward_layernorm [false] */
  readonly sandwichNorms: boolean;
  /** gemma2 attn_logit_softcapping [null] */
  readonly attnSoftcap: number | null;
  /** gemma2 final_logit_softcapping (the LM head's logits) [null] */
  readonly finalSoftcap: number | null;
  /** per layer: the sliding window (keys within this many positions) or null for global attention [all null] */
  readonly layerWindows: readonly (number | null)[];
  /** phi3: q/k/v in one qkv_proj and gate/up in one gate_up_proj (LoRA and merges act on the fused
   * matrices; their row slices are q|k|v and gate|up) [false] */
  readonly fusedProjections: boolean;
  /** rotary dims: partial_rotary_factor * headDim (phi3) [headDim] */
  readonly rotaryDim: number;
  readonly ropeScaling: RopeScaling;
}

export type HfConfig = BertConfig | DecoderConfig;

export const SUPPORTED_MODEL_TYPES = ['bert', 'roberta', 'xlm-roberta', 'qwen3', 'qwen2', 'llama'] as const;

const ACTS: Record<string, Activation> = {
  gelu: 'gelu',
  gelu_new: 'gelu_tanh',
  gelu_pytorch_tanh: 'gelu_tanh',
  gelu_fast: 'gelu_tanh',
  relu: 'relu',
  silu: 'silu',
  swish: 'silu',
  tanh: 'tanh',
};

/** Parses config.json text (or an already-parsed object). */
export function parseConfig(json: string | unknown, file = 'config.json'): HfConfig {
  let c: unknown = json;
  if (typeof json === 'string') {
    try {
      c = JSON.parse(json);
    } catch (e) {
      throw new ConfigError(file, `not valid JSON (${e instanceof Error ? e.message : String(e)})`);
    }
  }
  if (typeof c !== 'object' || c === null || Array.isArray(c))
    throw new ConfigError(file, 'not a JSON object');
  const o = c as Record<string, unknown>;
  const int = (key: string, fallback?: number, min = 1): number => {
    const v = o[key] ?? fallback;
    if (v === undefined) throw new ConfigError(file, `missing required field "${key}"`);
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min)
      throw new ConfigError(file, `"${key}" must be an integer >= ${min}, got ${JSON.stringify(v)}`);
    return v;
  };
  const num = (key: string, fallback: number): number => {
    const v = o[key] ?? fallback;
    if (typeof v !== 'number' || !(v > 0) || !Number.isFinite(v))
      throw new ConfigError(file, `"${key}" must be a positive number, got ${JSON.stringify(v)}`);
    return v;
  };
  const act = (key: string, fallback: string): Activation => {
    const v = o[key] ?? fallback;
    const a = typeof v === 'string' ? ACTS[v] : undefined;
    if (!a)
      throw new ConfigError(
        file,
        `"${key}" ${JSON.stringify(v)} is not supported (supported: ${Object.keys(ACTS).join(', ')})`,
      );
    return a;
  };
  const type = o.model_type;
  if (typeof type !== 'string')
    throw new ConfigError(file, `missing "model_type" (supported: ${SUPPORTED_MODEL_TYPES.join(', ')})`);

  if (type === 'bert' || type === 'roberta' || type === 'xlm-roberta') {
    const hidden = int('hidden_size');
    const heads = int('num_attention_heads');
    if (hidden % heads)
      throw new ConfigError(file, `hidden_size ${hidden} is not divisible by num_attention_heads ${heads}`);
    const pet = o.position_embedding_type ?? 'absolute';
    if (pet !== 'absolute')
      throw new ConfigError(
        file,
        `position_embedding_type ${JSON.stringify(pet)} is not supported (only "absolute")`,
      );
    const isRoberta = type !== 'bert';
    return {
      family: 'bert',
      modelType: type,
      vocabSize: int('vocab_size'),
      hidden,
      layers: int('num_hidden_layers'),
      heads,
      intermediate: int('intermediate_size'),
      act: act('hidden_act', 'gelu'),
      maxPositions: int('max_position_embeddings', 512),
      typeVocabSize: int('type_vocab_size', 2),
      eps: num('layer_norm_eps', 1e-12),
      positionOffset: isRoberta ? int('pad_token_id', 1, 0) + 1 : 0,
    };
  }

  if (type === 'qwen3' || type === 'qwen2' || type === 'llama') {
    const hidden = int('hidden_size');
    const heads = int('num_attention_heads');
    const kvHeads = int('num_key_value_heads', heads);
    if (heads % kvHeads)
      throw new ConfigError(
        file,
        `num_attention_heads ${heads} is not a multiple of num_key_value_heads ${kvHeads}`,
      );
    if (o.head_dim == null && hidden % heads)
      throw new ConfigError(file, `hidden_size ${hidden} is not divisible by num_attention_heads ${heads}`);
    const headDim = int('head_dim', hidden / heads);
    if (headDim % 2) throw new ConfigError(file, `head_dim ${headDim} must be even for rotary embeddings`);
    if (act('hidden_act', 'silu') !== 'silu')
      throw new ConfigError(
        file,
        `hidden_act ${JSON.stringify(o.hidden_act)} is not supported for ${type} (only silu)`,
      );
    const scaling = o.rope_scaling;
    if (scaling != null) {
      const kind =
        (scaling as Record<string, unknown>).rope_type ?? (scaling as Record<string, unknown>).type;
      if (kind !== 'default')
        throw new ConfigError(
          file,
          `rope_scaling ${JSON.stringify(kind)} is not supported (only none/default)`,
        );
    }
    const eos = o.eos_token_id;
    const eosTokenIds = eos == null ? [] : Array.isArray(eos) ? eos : [eos];
    if (!eosTokenIds.every((x) => Number.isInteger(x) && x >= 0))
      throw new ConfigError(
        file,
        `"eos_token_id" must be an integer or a list of integers, got ${JSON.stringify(eos)}`,
      );
    const attentionBias = o.attention_bias === true;
    const tie = o.tie_word_embeddings;
    if (tie != null && typeof tie !== 'boolean')
      throw new ConfigError(file, `"tie_word_embeddings" must be true or false, got ${JSON.stringify(tie)}`);
    return {
      family: 'decoder',
      modelType: type,
      vocabSize: int('vocab_size'),
      hidden,
      layers: int('num_hidden_layers'),
      heads,
      kvHeads,
      headDim,
      intermediate: int('intermediate_size'),
      eps: num('rms_norm_eps', 1e-6),
      ropeTheta: num('rope_theta', 10000),
      maxPositions: int('max_position_embeddings', 32768),
      qkvBias: type === 'qwen2' || attentionBias,
      oBias: type !== 'qwen2' && attentionBias,
      qkNorm: type === 'qwen3',
      eosTokenIds: eosTokenIds as number[],
      bosTokenId: typeof o.bos_token_id === 'number' ? o.bos_token_id : null,
      tieWordEmbeddings: tie ?? null,
      normAddOne: false,
      embedScale: 1,
      mlpAct: 'silu',
      attnScale: 1 / Math.sqrt(headDim),
      sandwichNorms: false,
      attnSoftcap: null,
      finalSoftcap: null,
      layerWindows: new Array<null>(int('num_hidden_layers')).fill(null),
      fusedProjections: false,
      rotaryDim: headDim,
      ropeScaling: { type: 'default' },
    };
  }
  throw new ConfigError(
    file,
    `model_type "${type}" is not supported (supported: ${SUPPORTED_MODEL_TYPES.join(', ')})`,
  );
}
