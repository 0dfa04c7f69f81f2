/**
 * Sparsification of one task vector δ (mergekit's sparsify.py semantics): magnitude (top-k of |δ|),
 * magnitude_outliers (breadcrumbs), random (DARE Bernoulli) and della_magprune; optional L1 rescale.
 * Ties in |δ| are broken by element index (lower index ranks as the larger magnitude for top-k and as
 * the smaller one for ascending ranks), so results are deterministic.
 */
import type { Rng } from '../util/rng';
import { MergeError } from './types';

/** masked·(‖δ‖₁/‖masked‖₁), or masked unchanged when either norm is below 1e-7 (mergekit's eps). */
export function rescaleL1(delta: Float32Array, masked: Float32Array): Float32Array {
  let before = 0;
  let after = 0;
  for (let i = 0; i < delta.length; i++) {
    before += Math.abs(delta[i]);
    after += Math.abs(masked[i]);
  }
  if (before < 1e-7 || after < 1e-7) return masked;
  const s = before / after;
  const y = new Float32Array(masked.length);
  for (let i = 0; i < masked.length; i++) y[i] = masked[i] * s;
  return y;
}

function applyMask(delta: Float32Array, keep: Uint8Array, rescale: boolean): Float32Array {
  const masked = new Float32Array(delta.length);
  for (let i = 0; i < delta.length; i++) masked[i] = keep[i] ? delta[i] : 0;
  return rescale ? rescaleL1(delta, masked) : masked;
}

/** indices sorted by |δ| ascending, ties by index ascending */
function ascendingOrder(delta: Float32Array): Uint32Array {
  const idx = new Uint32Array(delta.length);
  for (let i = 0; i < idx.length; i++) idx[i] = i;
  return idx.sort((a, b) => Math.abs(delta[a]) - Math.abs(delta[b]) || a - b);
}

/** TIES: keep the top int(density·n) entries of |δ|. density ≥ 1 returns δ unchanged (no rescale). */
export function magnitudeMask(delta: Float32Array, density: number, tensor: string): Uint8Array | null {
  if (density >= 1) return null;
  const k = Math.floor(density * delta.length);
  // mergekit asserts here ("not gonna zero out the whole tensor"): say so with the tensor's name
  if (k <= 0) {
    throw new MergeError(
      `tensor "${tensor}" (${delta.length} elements): density ${density} keeps int(density·n) = 0 entries; raise density to at least ${1 / delta.length}`,
    );
  }
  const idx = new Uint32Array(delta.length);
  for (let i = 0; i < idx.length; i++) idx[i] = i;
  idx.sort((a, b) => Math.abs(delta[b]) - Math.abs(delta[a]) || a - b);
  const keep = new Uint8Array(delta.length);
  for (let j = 0; j < k; j++) keep[idx[j]] = 1;
  return keep;
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
  if (density >= 1) return null;
  const n = delta.length;
  const target = Math.floor(density * n);
  let nTop = Math.floor(gamma * n);
  let nBot = n - target - nTop;
  if (nBot < 0) {
    nTop += nBot;
    nBot = 0;
  }
  const order = ascendingOrder(delta);
  const keep = new Uint8Array(n);
  for (let j = nBot; j < n - nTop; j++) keep[order[j]] = 1;
  return keep;
}

/** DARE: keep each entry with probability density (seeded). */
export function bernoulliMask(n: number, density: number, rng: Rng): Uint8Array | null {
  if (density >= 1) return null;
  const keep = new Uint8Array(n);
  for (let i = 0; i < n; i++) keep[i] = rng.next() < density ? 1 : 0;
  return keep;
}

/**
 * DELLA (MagPrune): along dim 1 (the row of a matrix; a vector is one row), rank |δ| ascending
 * (1..len), rank_norm = (rank − 1)/(len − 1), keep with probability (density − ε) + 2ε·rank_norm.
 * A row of one element (0/0 in mergekit, which then fails) gets rank_norm 0.5, i.e. p = density.
 */
export function dellaMask(
  delta: Float32Array,
  shape: number[],
  density: number,
  epsilon: number,
  rng: Rng,
  tensor: string,
): Uint8Array | null {
  if (density >= 1) return null;
  const n = delta.length;
  if (density <= 0) return new Uint8Array(n);
  if (density + epsilon >= 1 || density - epsilon <= 0) {
    throw new MergeError(
      `della on tensor "${tensor}": density ${density} ± epsilon ${epsilon} must lie inside (0, 1); lower epsilon or move density`,
    );
  }
  const len = shape.length < 2 ? n : shape[1];
  const inner = shape.length < 2 ? 1 : shape.slice(2).reduce((a, b) => a * b, 1);
  const outer = len * inner === 0 ? 0 : n / (len * inner);
  const probs = new Float64Array(n);
  const pos = new Uint32Array(len);
  for (let o = 0; o < outer; o++) {
    for (let c = 0; c < inner; c++) {
      const at = (j: number) => (o * len + j) * inner + c;
      for (let j = 0; j < len; j++) pos[j] = j;
      pos.sort((a, b) => Math.abs(delta[at(a)]) - Math.abs(delta[at(b)]) || a - b);
      for (let r = 0; r < len; r++) {
        const rankNorm = len > 1 ? r / (len - 1) : 0.5;
        probs[at(pos[r])] = density - epsilon + rankNorm * 2 * epsilon;
      }
    }
  }
  const keep = new Uint8Array(n);
  for (let i = 0; i < n; i++) keep[i] = rng.next() < probs[i] ? 1 : 0;
  return keep;
}

export type Sparsification = 'magnitude' | 'random' | 'magnitude_outliers' | 'della_magprune';

export interface SparsifyArgs {
  tensor: string;
  shape: number[];
  density: number;
  gamma: number;
  epsilon: number;
  rescale: boolean;
  rng: Rng;
}

/** The sparsified δ (δ itself when density ≥ 1). */
export function sparsify(delta: Float32Array, method: Sparsification, a: SparsifyArgs): Float32Array {
  let keep: Uint8Array | null;
  if (method === 'magnitude') keep = magnitudeMask(delta, a.density, a.tensor);
  else if (method === 'magnitude_outliers') keep = magnitudeOutliersMask(delta, a.density, a.gamma);
  else if (method === 'random') keep = bernoulliMask(delta.length, a.density, a.rng);
  else keep = dellaMask(delta, a.shape, a.density, a.epsilon, a.rng, a.tensor);
  return keep ? applyMask(delta, keep, a.rescale) : delta;
}
