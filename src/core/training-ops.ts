import type { Tensor } from './tensor';
import type { Activation, AttentionOptions, RopeOptions } from './transformer-ops';

/** Hyper-parameters of one AdamW step (decoupled weight decay, bias-corrected moments). */
export interface AdamWStep {
  lr: number;
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay: number;
  /** 1-based step number (for bias correction) */
  step: number;
}

/**
 * Backward passes and optimiser ops for training. Each backward takes the forward's inputs (it
 * recomputes what it needs) and the upstream gradient dy, and returns new gradient tensors.
 * Conventions as in TransformerOps (row-major, last axis, right padding, mask 1 = real token).
 */
export interface TrainingOps {
  /** y = x·w + b: dx = dy·wᵀ (omitted when needDx is false), dw (same layout as w), db = Σ rows of dy.
   * w may be an f16 tensor (a frozen base weight from tensorF16): dx uses it as is, dw is f32. */
  linearBackward(
    x: Tensor,
    w: Tensor,
    dy: Tensor,
    layout: 'kn' | 'nk',
    needDx: boolean,
  ): { dx: Tensor | null; dw: Tensor; db: Tensor };
  layerNormBackward(
    x: Tensor,
    gamma: Tensor,
    dy: Tensor,
    eps: number,
  ): { dx: Tensor; dgamma: Tensor; dbeta: Tensor };
  rmsNormBackward(
    x: Tensor,
    gamma: Tensor,
    dy: Tensor,
    eps: number,
    opts?: { addOne?: boolean },
  ): { dx: Tensor; dgamma: Tensor };
  /** dx = dy * f'(x) */
  activationBackward(x: Tensor, dy: Tensor, kind: Activation): Tensor;
  swigluBackward(gate: Tensor, up: Tensor, dy: Tensor): { dgate: Tensor; dup: Tensor };
  /** y = softmax(x) given: dx = y * (dy - Σ dy*y) */
  softmaxBackward(y: Tensor, dy: Tensor): Tensor;
  /** gradients of attention(q, k, v, mask, opts) w.r.t. q, k, v (GQA: kv-head grads summed over its query heads) */
  attentionBackward(
    q: Tensor,
    k: Tensor,
    v: Tensor,
    mask: Tensor,
    dy: Tensor,
    opts: AttentionOptions,
  ): { dq: Tensor; dk: Tensor; dv: Tensor };
  /** rope is a rotation: its backward is the inverse rotation of dy */
  ropeBackward(dy: Tensor, opts: RopeOptions): Tensor;
  /** y = slice(x, axis, start, len): dx has `full` entries on axis, dy at start.., zeros elsewhere */
  sliceBackward(dy: Tensor, axis: number, start: number, full: number): Tensor;
  /** y [B,D] = maskedMeanPool(x [B,T,D], mask): dx [B,T,D] */
  maskedMeanPoolBackward(mask: Tensor, dy: Tensor, T: number): Tensor;
  /** y = pool(x, mask, mode): dx [B,T,D] (dy placed at the pooled token) */
  poolBackward(mask: Tensor, dy: Tensor, T: number, mode: 'cls' | 'last'): Tensor;
  /** y = x / max(||x||, 1e-12) per row: dx = (dy - y (y·dy)) / ||x|| */
  l2NormalizeBackward(x: Tensor, dy: Tensor): Tensor;
  /**
   * InfoNCE / MultipleNegativesRankingLoss with cosine similarity on L2-normalised inputs:
   * q [Bq,D], docs [Nd,D]; positive[i] = index in docs of query i's positive; every other doc is a
   * negative for query i (in-batch + hard negatives). loss = mean_i CE(scale * q_i·docsᵀ, positive[i]);
   * symmetric adds mean_j CE(scale * docs_{pos j}·qᵀ, j) over the positives (sentence-transformers'
   * MultipleNegativesSymmetricRankingLoss), averaged with the first term.
   * Returns the scalar loss (read back) and the gradients w.r.t. q and docs.
   */
  infoNce(
    q: Tensor,
    docs: Tensor,
    positive: Uint32Array,
    opts: { scale: number; symmetric: boolean },
  ): Promise<{ loss: number; dq: Tensor; ddocs: Tensor }>;
  /** Σ x² over all elements (read back), for global-norm gradient clipping */
  sumSquares(x: Tensor): Promise<number>;
  /** In place: AdamW update of param from grad; m and v are the moment buffers (same shape) */
  adamw(param: Tensor, grad: Tensor, m: Tensor, v: Tensor, hp: AdamWStep): void;
  /** In place: t = 0 (for gradient accumulation buffers) and t += s * x (x may be t itself).
   * In-place updates are seen by every later op (the CPU backend drops its cached gemm weight panels). */
  zero(t: Tensor): void;
  addInPlace(t: Tensor, x: Tensor, s?: number): void;
}
