import type { Tensor } from './tensor';

export type Activation = 'relu' | 'gelu' | 'gelu_tanh' | 'silu' | 'tanh';

/** How positions are added to token embeddings [B,T,D]. */
export type Positional =
  /** learned (BERT) or any precomputed table [P,D], P >= T: x[b,t] += table[t] */
  | { kind: 'table'; table: Tensor }
  /**
   * sinusoidal, computed in the kernel. 'concat' (tensor2tensor timing signal, USE):
   *   i < D/2: sin(t * inv(i)), i >= D/2: cos(t * inv(i - D/2)), inv(i) = minTimescale^-1 * exp(-i * ln(max/min) / (D/2 - 1));
   * 'interleaved' (Vaswani et al.): dim 2i = sin(t / 10000^(2i/D)), 2i+1 = cos(same). Defaults min 1, max 1e4.
   */
  | { kind: 'sinusoidal'; layout: 'concat' | 'interleaved'; minTimescale?: number; maxTimescale?: number };

/**
 * Options of attention (forward and backward). softcap (Gemma 2): scores become softcap·tanh(s/softcap)
 * after scaling, before masking and softmax. window (sliding-window attention, Gemma 2's local layers,
 * Mistral): key j is visible to the query at position p only when p - window < j < p + window (and the
 * other rules). Causal, that is Hugging Face's sliding-window causal mask (the query and window - 1 keys
 * before it); not causal, the symmetric band |p - j| < window of HF's T5Gemma / sliding_window_bidirectional
 * mask (see kernels/attention.ts). Absent or 0: no window.
 */
export interface AttentionOptions {
  causal: boolean;
  scale: number;
  softcap?: number;
  window?: number;
}

/**
 * Options of rope (forward and backward). invFreq: the inverse frequency of each of the rotaryDim/2 pairs,
 * replacing theta^(-2i/r) (rope_scaling types linear, dynamic, llama3, longrope compute it: see
 * models/hf/rope-scaling.ts); mscale multiplies cos and sin (longrope's attention factor; default 1).
 */
export interface RopeOptions {
  theta: number;
  rotaryDim?: number;
  style?: 'half' | 'interleaved';
  offset?: number;
  invFreq?: Float32Array;
  mscale?: number;
}

/**
 * Transformer building blocks. All tensors are f32, row-major; "[..., D]" means any leading dims,
 * the op acting on the last axis. Every op returns a new tensor (inputs are not modified).
 * Padding is on the right: mask [B,T] holds 1 for real tokens and 0 for padding.
 */
export interface TransformerOps {
  /** x [..., K] times w plus bias [N] -> [..., N]. layout 'kn': w is [K,N] (TF); 'nk': w is [N,K] (PyTorch nn.Linear). */
  linear(x: Tensor, w: Tensor, bias: Tensor | null, layout: 'kn' | 'nk'): Tensor;
  /** elementwise a + b; b may also be [D] (the trailing dim of a), broadcast over leading dims */
  add(a: Tensor, b: Tensor): Tensor;
  /** elementwise a * b (same shape) */
  mul(a: Tensor, b: Tensor): Tensor;
  /** x * s */
  scale(x: Tensor, s: number): Tensor;
  /** (x - mean) / sqrt(var + eps) * gamma + beta over the last axis (biased variance); beta may be null */
  layerNorm(x: Tensor, gamma: Tensor, beta: Tensor | null, eps: number): Tensor;
  /** x / sqrt(mean(x^2) + eps) * (addOne ? 1 + gamma : gamma) over the last axis */
  rmsNorm(x: Tensor, gamma: Tensor, eps: number, opts?: { addOne?: boolean }): Tensor;
  /** gelu = exact erf form; gelu_tanh = tanh approximation */
  activation(x: Tensor, kind: Activation): Tensor;
  /** silu(gate) * up, same shapes */
  swiglu(gate: Tensor, up: Tensor): Tensor;
  /** softmax over the last axis (max-subtracted) */
  softmax(x: Tensor): Tensor;
  /**
   * Scaled dot-product attention. q [B,T,Hq,Dh], k and v [B,T,Hkv,Dh] with Hq % Hkv == 0 (grouped-query:
   * query head h reads kv head floor(h / (Hq/Hkv))), mask [B,T] (keys with mask 0 are ignored),
   * causal: key j is visible to query i only when j <= i. Returns [B,T,Hq,Dh].
   * A query row with no visible key yields zeros.
   */
  attention(q: Tensor, k: Tensor, v: Tensor, mask: Tensor, opts: AttentionOptions): Tensor;
  /**
   * Rotary position embedding on x [B,T,H,Dh] at positions offset..offset+T-1 (offset default 0), on the
   * first rotaryDim (default Dh) dims. 'half' (GPT-NeoX / Llama / Qwen): pairs (i, i + r/2); 'interleaved' (GPT-J): pairs (2i, 2i+1).
   * Frequency of pair i: theta^(-2i/r).
   */
  rope(x: Tensor, opts: RopeOptions): Tensor;
  /** a and b joined along `axis` (their shapes agree on every other axis; neither empty) */
  concat(a: Tensor, b: Tensor, axis: number): Tensor;
  /** x [B,T,D] + positions (see Positional) */
  addPositional(x: Tensor, pos: Positional): Tensor;
  /** x [B,T,D], mask [B,T] -> [B,D]: 'cls' = token 0; 'last' = the last token with mask 1 (zeros if none) */
  pool(x: Tensor, mask: Tensor, mode: 'cls' | 'last'): Tensor;
}
