/**
 * Sparsification of task vectors (mergekit's sparsify.py semantics): magnitude (top-k of |δ|),
 * magnitude_outliers (breadcrumbs), random (DARE Bernoulli) and della_magprune; optional L1 rescale.
 * The math is the mergeSparsify op's (src/kernels/merge-sparsify.ts: exact rank selection, counter-based
 * Bernoulli masks); this module checks the parameters (MergeError naming the tensor) and builds the op's
 * options. Ties in |δ| are broken by element index (lower index ranks as the larger magnitude for top-k
 * and as the smaller one for ascending ranks), so results are deterministic.
 */
import type { MergeSparsifyOptions, SparsifyMethod } from '../core/merge-ops';
import { rescaleL1, sparsifyMaskCpu, sparsifyPlan } from '../kernels/merge-sparsify';
import type { ResolvedModel } from './params';
import { maskKey, MergeError } from './types';

export { rescaleL1 };
export type Sparsification = SparsifyMethod;

/** Throws a MergeError naming the tensor when a parameter set cannot sparsify it. */
export function checkSparsify(method: Sparsification, tensor: string, n: number, m: ResolvedModel): void {
  if (m.density >= 1) return;
  // mergekit asserts here ("not gonna zero out the whole tensor"): say so with the tensor's name
  if (method === 'magnitude' && Math.floor(m.density * n) <= 0) {
    throw new MergeError(
      `tensor "${tensor}" (${n} elements): density ${m.density} keeps int(density·n) = 0 entries; raise density to at least ${1 / n}`,
    );
  }
  if (
    method === 'della_magprune' &&
    m.density > 0 &&
    (m.density + m.epsilon >= 1 || m.density - m.epsilon <= 0)
  ) {
    throw new MergeError(
      `della on tensor "${tensor}": density ${m.density} ± epsilon ${m.epsilon} must lie inside (0, 1); lower epsilon or move density`,
    );
  }
}

/** The mergeSparsify options of one tensor (checked): per expert parameters and mask keys. */
export function sparsifyOptions(
  method: Sparsification | null,
  tensor: string,
  shape: readonly number[],
  models: readonly ResolvedModel[],
  rescale: boolean,
  seed: number,
): MergeSparsifyOptions {
  const n = shape.reduce((a, b) => a * b, 1);
  if (method) for (const m of models) checkSparsify(method, tensor, n, m);
  return {
    method,
    params: models.map(({ density, gamma, epsilon }) => ({ density, gamma, epsilon })),
    rescale,
    keys: models.map((_, k) => maskKey(seed, tensor, k)),
  };
}

function oneMask(
  delta: Float32Array,
  shape: readonly number[],
  method: Sparsification,
  m: Omit<ResolvedModel, 'weight'>,
  key: number,
  tensor: string,
): Uint8Array | null {
  checkSparsify(method, tensor, delta.length, { weight: 1, ...m });
  const plan = sparsifyPlan(shape, 1, { method, params: [m], rescale: false, keys: [key] });
  return sparsifyMaskCpu(delta, plan, 0);
}

/** TIES: keep the top int(density·n) entries of |δ|. density ≥ 1 returns null (δ unchanged, no rescale). */
export function magnitudeMask(delta: Float32Array, density: number, tensor: string): Uint8Array | null {
  return oneMask(delta, [delta.length], 'magnitude', { density, gamma: 0, epsilon: 0 }, 0, tensor);
}

/**
 * Breadcrumbs: drop the top int(gamma·n) of |δ|, then the smallest, keeping int(density·n). When
 * n − target − n_top < 0 fewer large entries are dropped so the target is met.
 * Intended rule, not mergekit's bug: mergekit keeps `sorted[n_bot:-n_top]`, which is empty when
 * n_top = int(gamma·n) = 0 (any tensor with fewer than 1/gamma elements, e.g. < 100 at gamma 0.01), so
 * it zeroes the whole task vector; here the kept range is sorted[n_bot : n − n_top] in every case.
 */
export function magnitudeOutliersMask(
  delta: Float32Array,
  density: number,
  gamma: number,
): Uint8Array | null {
  return oneMask(delta, [delta.length], 'magnitude_outliers', { density, gamma, epsilon: 0 }, 0, '');
}

/** DARE: keep each entry with probability density, element i by the hash of (key, i). */
export function bernoulliMask(n: number, density: number, key: number): Uint8Array | null {
  return oneMask(new Float32Array(n), [n], 'random', { density, gamma: 0, epsilon: 0 }, key, '');
}

/**
 * DELLA (MagPrune): along dim 1 (the row of a matrix; a vector is one row), rank |δ| ascending
 * (0..len−1, ties by lower index first), rank_norm = rank/(len − 1), keep with probability
 * (density − ε) + 2ε·rank_norm. A row of one element (0/0 in mergekit, which then fails) gets
 * rank_norm 0.5, i.e. p = density. density ≤ 0 keeps nothing.
 */
export function dellaMask(
  delta: Float32Array,
  shape: readonly number[],
  density: number,
  epsilon: number,
  key: number,
  tensor: string,
): Uint8Array | null {
  return oneMask(delta, shape, 'della_magprune', { density, gamma: 0, epsilon }, key, tensor);
}
