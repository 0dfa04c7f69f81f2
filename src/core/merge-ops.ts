import type { Tensor } from './tensor';

/** Options of the element-wise task-vector mixing (mergekit's GTA mixing step). */
export interface MergeMixOptions {
  /** sign election: majority sign(Σ w_k δ_k) per element (0 → +), keep entries whose w_k δ_k has it */
  consensus: boolean;
  /** divide by Σ w_k·mask_k (0 → 1) with election, by Σ w_k (|Σ| < 1e-8 → 1) without */
  normalize: boolean;
  lambda: number;
}

/** mergekit's sparsification methods (sparsify.py): TIES, breadcrumbs, DARE, DELLA. */
export type SparsifyMethod = 'magnitude' | 'magnitude_outliers' | 'random' | 'della_magprune';

/** One expert's sparsification parameters (already checked by src/merge). */
export interface SparsifyParams {
  density: number;
  gamma: number;
  epsilon: number;
}

/** Options of mergeSparsify: the method, one parameter set and one mask key per expert, rescale. */
export interface MergeSparsifyOptions {
  /** null: the task vectors unchanged (task_arithmetic) */
  method: SparsifyMethod | null;
  params: readonly SparsifyParams[];
  /** L1 rescale of each sparsified task vector (mergekit's ‖δ‖₁ / ‖sparsified δ‖₁) */
  rescale: boolean;
  /** per expert: the u32 key of its counter-based mask stream (random, della_magprune; see merge-rng) */
  keys: readonly number[];
}

/** Model-merging ops (src/merge drives them). */
export interface MergeOps {
  /** y = base + lambda·mix(deltas [K, ...base.shape], weights [K]) per element (see MergeMixOptions) */
  mergeMix(base: Tensor, deltas: Tensor, weights: Tensor, opts: MergeMixOptions): Tensor;
  /** the sparsified task vectors [K, ...base.shape] of experts [K, ...base.shape] over base: δ_k = θ_k − base,
   * masked per tensor (top-k / breadcrumbs by exact radix selection, DARE / DELLA by hashed Bernoulli), rescaled */
  mergeSparsify(base: Tensor, experts: Tensor, opts: MergeSparsifyOptions): Tensor;
}
