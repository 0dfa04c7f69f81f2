import type { Tensor } from './tensor';

/** Ops for looking at a set of embeddings (the Explorer's PCA, src/explore/pca.ts). */
export interface AnalysisOps {
  /** x [N,D] with each column's mean (over the N rows) subtracted; N = 0 gives an empty result */
  centerColumns(x: Tensor): Tensor;
  /** the Gram matrix xᵀx [D,D] of x [N,D] (symmetric; the scatter matrix of a centred x) */
  gram(x: Tensor): Tensor;
}
