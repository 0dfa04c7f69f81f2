/** The architecture descriptions config.json parses into (config.ts) and the error it throws. */
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

export const DECODER_MODEL_TYPES = ['qwen3', 'qwen2', 'llama', 'gemma', 'gemma2', 'phi3'] as const;
export type DecoderModelType = (typeof DECODER_MODEL_TYPES)[number];

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
