import type { Tensor } from './tensor';

/** Options of the element-wise task-vector mixing (mergekit's GTA mixing step). */
export interface MergeMixOptions {
  /** sign election: majority sign(Σ w_k δ_k) per element (0 → +), keep entries whose w_k δ_k has it */
  consensus: boolean;
  /** divide by Σ w_k·mask_k (0 → 1) with election, by Σ w_k (|Σ| < 1e-8 → 1) without */
  normalize: boolean;
  lambda: number;
}

/** Model-merging ops (src/merge drives them). */
export interface MergeOps {
  /** y = base + lambda·mix(deltas [K, ...base.shape], weights [K]) per element (see MergeMixOptions) */
  mergeMix(base: Tensor, deltas: Tensor, weights: Tensor, opts: MergeMixOptions): Tensor;
}
