/**
 * Multi-SLERP (mergekit "multislerp"): barycentric interpolation on the hypersphere. Optional base
 * (tensors become θ_i − θ_base); weights divided by their sum (normalizeWeights, default true); unit
 * vectors' weighted mean m, normalized; tangent vectors u_i − (u_i·m)m mixed by weight; exponential
 * map back; scaled by the weighted mean of the norms; + base. Two antipodal inputs fall back to lerp.
 */
import type { MergeMethod } from './method';
import { checkInput, resolveModel } from './params';
import { MergeError, type TensorMergeInput } from './types';

export function multislerpMerge(x: TensorMergeInput): Float32Array {
  checkInput('multislerp', x, false, 1);
  const n = x.experts[0].length;
  const base = x.base;
  if (x.experts.length === 1) return Float32Array.from(x.experts[0]);
  let w = x.experts.map((_, i) => resolveModel(x.models[i], i).weight);
  if (x.options.normalizeWeights ?? true) {
    const s = w.reduce((a, b) => a + b, 0);
    if (s === 0) {
      throw new MergeError(
        `multislerp on tensor "${x.name}": the weights sum to 0, so they cannot be normalized; change a weight`,
      );
    }
    w = w.map((v) => v / s);
  }
  const eps = 1e-8;
  const vs = x.experts.map((e) => {
    const v = new Float64Array(n);
    for (let j = 0; j < n; j++) v[j] = base ? e[j] - base[j] : e[j];
    return v;
  });
  const norm = (v: Float64Array) => Math.sqrt(v.reduce((a, b) => a + b * b, 0));
  const norms = vs.map(norm);
  const units = vs.map((v, i) => v.map((y) => y / (norms[i] + eps)));
  const mean = new Float64Array(n);
  units.forEach((u, i) => u.forEach((y, j) => (mean[j] += y * w[i])));
  const meanNorm = norm(mean);
  const out = new Float32Array(n);
  if (meanNorm < eps) {
    if (vs.length === 2) {
      for (let j = 0; j < n; j++) out[j] = vs[0][j] * w[0] + vs[1][j] * w[1] + (base ? base[j] : 0);
      return out;
    }
    throw new MergeError(
      `multislerp on tensor "${x.name}": the weighted sum of the unit tensors is zero (antipodal inputs with balancing weights); change the weights`,
    );
  }
  for (let j = 0; j < n; j++) mean[j] /= meanNorm;
  const tangent = new Float64Array(n);
  units.forEach((u, i) => {
    let dot = 0;
    for (let j = 0; j < n; j++) dot += u[j] * mean[j];
    for (let j = 0; j < n; j++) tangent[j] += (u[j] - dot * mean[j]) * w[i];
  });
  const tn = norm(tangent) + eps;
  const avgNorm = norms.reduce((a, v, i) => a + v * w[i], 0);
  for (let j = 0; j < n; j++) {
    const r = mean[j] * Math.cos(tn) + tangent[j] * (Math.sin(tn) / tn);
    out[j] = r * avgNorm + (base ? base[j] : 0);
  }
  return out;
}

export const multislerp: MergeMethod = {
  name: 'multislerp',
  label: 'Multi-SLERP',
  needsBase: false,
  minExperts: 1,
  modelParams: ['weight'],
  globalParams: ['normalizeWeights'],
  defaults: {},
  stochastic: false,
  merge: multislerpMerge,
};
