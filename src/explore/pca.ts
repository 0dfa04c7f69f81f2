/**
 * The Explorer's 2-D PCA on a compute backend (the WebGPU one in the app): the heavy steps are ops of the
 * op table — centerColumns, gram (the covariance up to 1/(N−1)), scale, matmul for every iteration and for
 * the projection, sumSquares for the total variance — while the k×k Rayleigh–Ritz step and the k×D
 * orthonormalisation run on the CPU. The top-2 components come from subspace iteration with a block of k
 * vectors (a few more than 2, so the second converges at the rate λ_{k+1}/λ_2 rather than λ_3/λ_2).
 */
import type { Backend, Tensor } from '../core/backend';
import { Rng } from '../util/rng';
import { symmetricEigen } from '../util/symmetric-eigen';

export interface PcaOptions {
  /** vectors iterated together (default min(D, 8)) */
  block?: number;
  /** stop when ‖C·u − λu‖ ≤ tol·λ₁ for both components (default 1e-5) */
  tol?: number;
  maxIterations?: number;
  seed?: number;
  signal?: AbortSignal;
}

export interface Pca2 {
  /** the two principal directions [2, D], unit length, each with its largest-magnitude entry positive */
  components: Float32Array;
  /** the variance along each (the covariance's top eigenvalues) */
  variances: [number, number];
  /** the total variance (trace of the covariance) */
  totalVariance: number;
  /** variances / totalVariance */
  explained: [number, number];
  /** each row's coordinates on the two components, [N, 2] */
  coords: Float32Array;
  iterations: number;
  /** the relative residual reached (≤ tol when converged) */
  residual: number;
}

export class PcaInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PcaInputError';
  }
}

/** Rows of q (k×d, f64) orthonormalised in place by modified Gram–Schmidt; a dependent row is replaced
 * by a fresh random one (so the block keeps its rank). */
function orthonormalise(q: Float64Array, k: number, d: number, rng: Rng): void {
  for (let r = 0; r < k; r++) {
    for (let attempt = 0; ; attempt++) {
      for (let p = 0; p < r; p++) {
        let dot = 0;
        for (let i = 0; i < d; i++) dot += q[r * d + i] * q[p * d + i];
        for (let i = 0; i < d; i++) q[r * d + i] -= dot * q[p * d + i];
      }
      let norm = 0;
      for (let i = 0; i < d; i++) norm += q[r * d + i] ** 2;
      norm = Math.sqrt(norm);
      if (norm > 1e-10 || attempt >= 3) {
        for (let i = 0; i < d; i++) q[r * d + i] /= norm || 1;
        break;
      }
      for (let i = 0; i < d; i++) q[r * d + i] = rng.normal();
    }
  }
}

function aborted(signal?: AbortSignal): void {
  if (signal?.aborted) throw new DOMException('PCA cancelled', 'AbortError');
}

/** The top-2 principal components of the rows of x [rows, dim] and every row's coordinates on them. */
export async function pca2(
  be: Backend,
  x: Float32Array,
  rows: number,
  dim: number,
  opts: PcaOptions = {},
): Promise<Pca2> {
  if (rows < 3 || dim < 2)
    throw new PcaInputError(`PCA needs at least 3 points of 2 or more dimensions, got ${rows} × ${dim}`);
  if (x.length !== rows * dim)
    throw new PcaInputError(`PCA input holds ${x.length} values, not ${rows} × ${dim}`);
  const k = Math.max(2, Math.min(dim, opts.block ?? 8));
  const tol = opts.tol ?? 1e-5;
  const maxIterations = opts.maxIterations ?? 300;
  const rng = new Rng(opts.seed ?? 1);
  const owned: Tensor[] = [];
  const keep = <T extends Tensor>(t: T): T => (owned.push(t), t);
  try {
    const xt = keep(be.tensor(x, [rows, dim]));
    const xc = keep(be.centerColumns(xt));
    const cov = keep(be.scale(keep(be.gram(xc)), 1 / (rows - 1)));
    const totalVariance = (await be.sumSquares(xc)) / (rows - 1);
    const q = new Float64Array(k * dim);
    for (let i = 0; i < q.length; i++) q[i] = rng.normal();
    orthonormalise(q, k, dim, rng);
    const u = new Float64Array(k * dim);
    const cu = new Float64Array(k * dim);
    let values: Float64Array = new Float64Array(k);
    let residual = Infinity;
    let iterations = 0;
    while (iterations < maxIterations) {
      aborted(opts.signal);
      iterations++;
      // W = Q·C (C is symmetric, so Q·Cᵀ): k rows of C·q_i
      const qt = be.tensor(Float32Array.from(q), [k, dim]);
      const wt = be.matmul(qt, cov, { transposeB: true });
      const w = await be.readF32(wt);
      be.dispose(qt, wt);
      // Rayleigh–Ritz: H = W·Qᵀ (k×k), H = S Θ Sᵀ; Ritz vectors U = Sᵀ Q and C·U = Sᵀ W
      const h = new Float64Array(k * k);
      for (let i = 0; i < k; i++)
        for (let j = 0; j < k; j++) {
          let s = 0;
          for (let t = 0; t < dim; t++) s += w[i * dim + t] * q[j * dim + t];
          h[i * k + j] = s;
        }
      for (let i = 0; i < k; i++)
        for (let j = i + 1; j < k; j++) h[i * k + j] = h[j * k + i] = (h[i * k + j] + h[j * k + i]) / 2;
      const eig = symmetricEigen(h, k);
      values = eig.values;
      u.fill(0);
      cu.fill(0);
      for (let r = 0; r < k; r++)
        for (let i = 0; i < k; i++) {
          const s = eig.vectors[i * k + r];
          for (let t = 0; t < dim; t++) {
            u[r * dim + t] += s * q[i * dim + t];
            cu[r * dim + t] += s * w[i * dim + t];
          }
        }
      const scale = Math.max(Math.abs(values[0]), 1e-30);
      residual = 0;
      for (let r = 0; r < 2; r++) {
        let s = 0;
        for (let t = 0; t < dim; t++) s += (cu[r * dim + t] - values[r] * u[r * dim + t]) ** 2;
        residual = Math.max(residual, Math.sqrt(s) / scale);
      }
      if (residual <= tol || values[0] <= 1e-30) break;
      q.set(cu);
      orthonormalise(q, k, dim, rng);
    }
    const components = new Float32Array(2 * dim);
    for (let r = 0; r < 2; r++) {
      let big = 0;
      for (let t = 0; t < dim; t++) if (Math.abs(u[r * dim + t]) > Math.abs(big)) big = u[r * dim + t];
      const sign = big < 0 ? -1 : 1;
      for (let t = 0; t < dim; t++) components[r * dim + t] = sign * u[r * dim + t];
    }
    const ct = keep(be.tensor(components, [2, dim]));
    const coords = await be.readF32(keep(be.matmul(xc, ct, { transposeB: true })));
    const variances: [number, number] = [Math.max(0, values[0]), Math.max(0, values[1])];
    const explained: [number, number] =
      totalVariance > 0 ? [variances[0] / totalVariance, variances[1] / totalVariance] : [0, 0];
    return { components, variances, totalVariance, explained, coords, iterations, residual };
  } finally {
    be.dispose(...owned);
  }
}
