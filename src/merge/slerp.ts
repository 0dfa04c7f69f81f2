/**
 * SLERP (mergekit "slerp"): spherical interpolation between the base (t = 0) and one other model (t = 1)
 * over the whole tensor; lerp when the normalized vectors have |cos| > 0.9995. Norms ≤ 1e-8 are not
 * normalized (mergekit's eps).
 */
import type { MergeMethod } from './method';
import { checkInput } from './params';
import { MergeError, type TensorMergeInput } from './types';

export const SLERP_DOT_THRESHOLD = 0.9995;

export function slerpVectors(t: number, v0: Float32Array, v1: Float32Array, eps = 1e-8): Float32Array {
  let n0 = 0;
  let n1 = 0;
  for (let j = 0; j < v0.length; j++) {
    n0 += v0[j] * v0[j];
    n1 += v1[j] * v1[j];
  }
  n0 = Math.sqrt(n0);
  n1 = Math.sqrt(n1);
  const s0n = n0 > eps ? 1 / n0 : 1;
  const s1n = n1 > eps ? 1 / n1 : 1;
  let dot = 0;
  for (let j = 0; j < v0.length; j++) dot += v0[j] * s0n * (v1[j] * s1n);
  const out = new Float32Array(v0.length);
  if (Math.abs(dot) > SLERP_DOT_THRESHOLD) {
    for (let j = 0; j < out.length; j++) out[j] = (1 - t) * v0[j] + t * v1[j];
    return out;
  }
  const theta0 = Math.acos(dot);
  const sinTheta0 = Math.sin(theta0);
  const thetaT = theta0 * t;
  const a = Math.sin(theta0 - thetaT) / sinTheta0;
  const b = Math.sin(thetaT) / sinTheta0;
  for (let j = 0; j < out.length; j++) out[j] = a * v0[j] + b * v1[j];
  return out;
}

export function slerpMerge(x: TensorMergeInput): Float32Array {
  checkInput('slerp', x, true, 1);
  if (x.experts.length !== 1) {
    throw new MergeError(
      `slerp on tensor "${x.name}": merges the base with exactly one other model, got ${x.experts.length}`,
    );
  }
  const t = x.options.t;
  if (typeof t !== 'number' || !Number.isFinite(t)) {
    throw new MergeError(
      `slerp: parameter "t" is required (0 = base, 1 = the other model), got ${String(t)}`,
    );
  }
  return slerpVectors(t, x.base as Float32Array, x.experts[0]);
}

export const slerp: MergeMethod = {
  name: 'slerp',
  label: 'SLERP',
  needsBase: true,
  minExperts: 1,
  maxExperts: 1,
  modelParams: [],
  globalParams: ['t'],
  defaults: {},
  stochastic: false,
  merge: slerpMerge,
};
