/**
 * A small SVD of our own (float64 inside), for LoRA out (lora-extract.ts):
 *   - jacobiSvd: one-sided Jacobi (Hestenes) on the columns of a matrix, exact to rounding; cost per sweep
 *     ~3·cols²·rows, so it is used on small or thin matrices.
 *   - truncatedSvd: the top singular triplets of an [m, n] row-major matrix by a randomized range finder
 *     (Halko, Martinsson & Tropp 2011: Gaussian sketch of k = want + oversample columns, power iterations
 *     with re-orthonormalisation), then one-sided Jacobi on the small k × n projection. A matrix of rank ≤ k
 *     is recovered exactly (to rounding); a 2048 × 2048 ΔW at rank 32 is ~1e9 flops on the CPU. When k
 *     reaches min(m, n) it runs Jacobi on the matrix itself (exact).
 * Which singular values are kept: a fixed rank, or those above a threshold (mergekit-extract-lora's
 * sv_epsilon, capped at maxRank); values ≤ 1e-12·σ_max count as zero and are never kept. The energy kept is
 * Σ kept σ² / ‖M‖_F² (‖M‖_F² exact, from M itself).
 *
 * Exports: SvdResult, jacobiSvd, truncatedSvd, TruncateOptions.
 */
import { Rng } from '../util/rng';
import { MergeError } from './types';

export interface SvdResult {
  /** rows, cols of the matrix */
  m: number;
  n: number;
  /** singular values kept, descending */
  s: Float64Array;
  /** left singular vectors, [m, k] row-major (column j belongs to s[j]) */
  u: Float64Array;
  /** right singular vectors, [n, k] row-major */
  v: Float64Array;
  /** Σ kept σ² / ‖M‖_F² (1 for a zero matrix) */
  energy: number;
  /** the largest singular value not kept (0 when none was dropped; truncatedSvd only) */
  dropped?: number;
}

/**
 * One-sided Jacobi on `cols` columns of length `len` (column-major, modified in place): afterwards the
 * columns are orthogonal (X·V); returns V [cols, cols] column-major.
 */
function jacobiColumns(x: Float64Array, len: number, cols: number, maxSweeps = 60): Float64Array {
  const v = new Float64Array(cols * cols);
  for (let i = 0; i < cols; i++) v[i * cols + i] = 1;
  const eps = 1e-15;
  for (let sweep = 0; sweep < maxSweeps; sweep++) {
    let rotated = false;
    for (let i = 0; i < cols - 1; i++) {
      const oi = i * len;
      for (let j = i + 1; j < cols; j++) {
        const oj = j * len;
        let a = 0;
        let b = 0;
        let g = 0;
        for (let r = 0; r < len; r++) {
          const xi = x[oi + r];
          const xj = x[oj + r];
          a += xi * xi;
          b += xj * xj;
          g += xi * xj;
        }
        if (g === 0 || Math.abs(g) <= eps * Math.sqrt(a * b)) continue;
        rotated = true;
        const zeta = (b - a) / (2 * g);
        const t = Math.sign(zeta || 1) / (Math.abs(zeta) + Math.sqrt(1 + zeta * zeta));
        const c = 1 / Math.sqrt(1 + t * t);
        const s = c * t;
        for (let r = 0; r < len; r++) {
          const xi = x[oi + r];
          const xj = x[oj + r];
          x[oi + r] = c * xi - s * xj;
          x[oj + r] = s * xi + c * xj;
        }
        const vi = i * cols;
        const vj = j * cols;
        for (let r = 0; r < cols; r++) {
          const a1 = v[vi + r];
          const b1 = v[vj + r];
          v[vi + r] = c * a1 - s * b1;
          v[vj + r] = s * a1 + c * b1;
        }
      }
    }
    if (!rotated) break;
  }
  return v;
}

/** Full SVD of an [m, n] row-major matrix by one-sided Jacobi: M = U·diag(s)·Vᵀ with k = min(m, n). */
export function jacobiSvd(a: ArrayLike<number>, m: number, n: number): SvdResult {
  if (a.length !== m * n) throw new MergeError(`svd: ${a.length} values for a [${m}, ${n}] matrix`);
  const tall = m >= n;
  // the columns Jacobi orthogonalises: those of M (tall) or of Mᵀ (wide), column-major
  const len = tall ? m : n;
  const cols = tall ? n : m;
  const x = new Float64Array(len * cols);
  let total = 0;
  for (let r = 0; r < m; r++)
    for (let c = 0; c < n; c++) {
      const val = a[r * n + c];
      total += val * val;
      if (tall) x[c * m + r] = val;
      else x[r * n + c] = val;
    }
  const vm = jacobiColumns(x, len, cols);
  const norms = Array.from({ length: cols }, (_, j) => {
    let s = 0;
    for (let r = 0; r < len; r++) s += x[j * len + r] ** 2;
    return Math.sqrt(s);
  });
  const order = norms.map((_, j) => j).sort((p, q) => norms[q] - norms[p]);
  const k = cols;
  const s = new Float64Array(k);
  // X = M (tall): M = Uc·Σ·Vᵀ with Uc = X/σ, V = vm. X = Mᵀ (wide): Mᵀ = Uc·Σ·vmᵀ, so U = vm, V = Uc.
  const left = new Float64Array(m * k);
  const right = new Float64Array(n * k);
  order.forEach((j, o) => {
    const sig = norms[j];
    s[o] = sig;
    const inv = sig > 0 ? 1 / sig : 0;
    const uc = tall ? left : right;
    const vv = tall ? right : left;
    for (let r = 0; r < len; r++) uc[r * k + o] = x[j * len + r] * inv;
    for (let r = 0; r < cols; r++) vv[r * k + o] = vm[j * cols + r];
  });
  let kept = 0;
  for (const x2 of s) kept += x2 * x2;
  return { m, n, s, u: left, v: right, energy: total > 0 ? Math.min(1, kept / total) : 1 };
}

/** Modified Gram–Schmidt, twice, on `k` columns of length `len` (column-major); tiny columns become 0. */
function orthonormalize(q: Float64Array, len: number, k: number): void {
  for (let pass = 0; pass < 2; pass++) {
    for (let j = 0; j < k; j++) {
      const oj = j * len;
      let before = 0;
      for (let r = 0; r < len; r++) before += q[oj + r] ** 2;
      for (let i = 0; i < j; i++) {
        const oi = i * len;
        let d = 0;
        for (let r = 0; r < len; r++) d += q[oi + r] * q[oj + r];
        if (d !== 0) for (let r = 0; r < len; r++) q[oj + r] -= d * q[oi + r];
      }
      let nrm = 0;
      for (let r = 0; r < len; r++) nrm += q[oj + r] ** 2;
      // a column that cancelled (the sketch's rank is below k) holds only rounding: drop it
      const keep = nrm > 1e-20 * Math.max(before, 1e-300) && nrm > 0;
      const inv = keep ? 1 / Math.sqrt(nrm) : 0;
      for (let r = 0; r < len; r++) q[oj + r] *= inv;
    }
  }
}

/** Y = M·X: M [m, n] row-major, X [n, k] column-major -> Y [m, k] column-major. */
function mulMX(a: ArrayLike<number>, m: number, n: number, x: Float64Array, k: number): Float64Array {
  const y = new Float64Array(m * k);
  const row = new Float64Array(n);
  for (let r = 0; r < m; r++) {
    for (let c = 0; c < n; c++) row[c] = a[r * n + c];
    for (let j = 0; j < k; j++) {
      const oj = j * n;
      let s = 0;
      for (let c = 0; c < n; c++) s += row[c] * x[oj + c];
      y[j * m + r] = s;
    }
  }
  return y;
}

/** Z = Mᵀ·Q: M [m, n] row-major, Q [m, k] column-major -> Z [n, k] column-major. */
function mulMtX(a: ArrayLike<number>, m: number, n: number, q: Float64Array, k: number): Float64Array {
  const z = new Float64Array(n * k);
  for (let r = 0; r < m; r++) {
    const base = r * n;
    for (let j = 0; j < k; j++) {
      const w = q[j * m + r];
      if (w === 0) continue;
      const oj = j * n;
      for (let c = 0; c < n; c++) z[oj + c] += w * a[base + c];
    }
  }
  return z;
}

export interface TruncateOptions {
  /** keep this many singular values (at most) */
  rank?: number;
  /** keep the singular values above this (mergekit-extract-lora's sv_epsilon), at most maxRank of them */
  threshold?: number;
  /** cap of the threshold mode (default 64) */
  maxRank?: number;
  /** extra sketch columns (default 10) */
  oversample?: number;
  /** power iterations (default 2) */
  powerIters?: number;
  seed?: number;
}

/** The top singular triplets of an [m, n] row-major matrix (see the file comment for which are kept). */
export function truncatedSvd(a: ArrayLike<number>, m: number, n: number, opts: TruncateOptions): SvdResult {
  if (a.length !== m * n) throw new MergeError(`svd: ${a.length} values for a [${m}, ${n}] matrix`);
  const { rank, threshold } = opts;
  if ((rank === undefined) === (threshold === undefined))
    throw new MergeError('LoRA out: give either a rank or a singular-value threshold');
  if (rank !== undefined && !(Number.isInteger(rank) && rank >= 1))
    throw new MergeError(`LoRA out: rank must be a positive integer, got ${rank}`);
  if (threshold !== undefined && !(Number.isFinite(threshold) && threshold >= 0))
    throw new MergeError(`LoRA out: the singular-value threshold must be a number ≥ 0, got ${threshold}`);
  const maxRank = opts.maxRank ?? 64;
  if (!(Number.isInteger(maxRank) && maxRank >= 1))
    throw new MergeError(`LoRA out: maxRank must be a positive integer, got ${maxRank}`);
  const p = Math.min(m, n);
  const want = Math.min(p, rank ?? maxRank);
  const k = Math.min(p, want + (opts.oversample ?? 10));
  let total = 0;
  for (let i = 0; i < a.length; i++) total += a[i] * a[i];
  let full: SvdResult;
  if (k >= p) full = jacobiSvd(a, m, n);
  else {
    const rng = new Rng(opts.seed ?? 0);
    const omega = Float64Array.from({ length: n * k }, () => rng.normal());
    let q = mulMX(a, m, n, omega, k);
    orthonormalize(q, m, k);
    for (let it = 0; it < (opts.powerIters ?? 2); it++) {
      const z = mulMtX(a, m, n, q, k);
      orthonormalize(z, n, k);
      q = mulMX(a, m, n, z, k);
      orthonormalize(q, m, k);
    }
    // B = Qᵀ·M [k, n]; Bᵀ = Mᵀ·Q [n, k] column-major: its columns are what Jacobi orthogonalises
    const bt = mulMtX(a, m, n, q, k);
    const vm = jacobiColumns(bt, n, k);
    const norms = Array.from({ length: k }, (_, j) => {
      let s = 0;
      for (let r = 0; r < n; r++) s += bt[j * n + r] ** 2;
      return Math.sqrt(s);
    });
    const order = norms.map((_, j) => j).sort((x, y) => norms[y] - norms[x]);
    const s = new Float64Array(k);
    const u = new Float64Array(m * k);
    const v = new Float64Array(n * k);
    // Bᵀ = Uc·Σ·vmᵀ -> B = vm·Σ·Ucᵀ -> M ≈ (Q·vm)·Σ·Ucᵀ
    order.forEach((j, o) => {
      const sig = norms[j];
      s[o] = sig;
      const inv = sig > 0 ? 1 / sig : 0;
      for (let r = 0; r < n; r++) v[r * k + o] = bt[j * n + r] * inv;
      for (let r = 0; r < m; r++) {
        let acc = 0;
        for (let t = 0; t < k; t++) acc += q[t * m + r] * vm[j * k + t];
        u[r * k + o] = acc;
      }
    });
    full = { m, n, s, u, v, energy: 0 };
  }
  // which to keep
  const smax = full.s[0] ?? 0;
  let keep = 0;
  const cap = rank ?? maxRank;
  while (
    keep < Math.min(cap, full.s.length) &&
    full.s[keep] > 1e-12 * smax &&
    (threshold === undefined || full.s[keep] > threshold)
  )
    keep++;
  const out = slice(full, keep, total);
  const next = full.s[keep] ?? 0;
  out.dropped = next > 1e-12 * smax ? next : 0;
  return out;
}

function slice(r: SvdResult, keep: number, total: number): SvdResult {
  const k = r.s.length;
  const u = new Float64Array(r.m * keep);
  const v = new Float64Array(r.n * keep);
  for (let i = 0; i < r.m; i++) for (let j = 0; j < keep; j++) u[i * keep + j] = r.u[i * k + j];
  for (let i = 0; i < r.n; i++) for (let j = 0; j < keep; j++) v[i * keep + j] = r.v[i * k + j];
  const s = r.s.slice(0, keep);
  let kept = 0;
  for (const x of s) kept += x * x;
  return { m: r.m, n: r.n, s, u, v, energy: total > 0 ? Math.min(1, kept / total) : 1 };
}
