/** Linear (mergekit "linear"): Σ w_i θ_i, divided by Σ w_i when normalize (default true). The base is not used. */
import type { MergeMethod } from './method';
import { checkInput, resolveModel } from './params';
import { MergeError, type TensorMergeInput } from './types';

export function linearMerge(x: TensorMergeInput): Float32Array {
  checkInput('linear', x, false, 1);
  const w = x.experts.map((_, i) => resolveModel(x.models[i], i).weight);
  const normalize = x.options.normalize ?? true;
  const wsum = w.reduce((a, b) => a + b, 0);
  if (normalize && wsum === 0) {
    throw new MergeError(
      `linear on tensor "${x.name}": the weights sum to 0, so normalize divides by 0; change a weight or set normalize false`,
    );
  }
  const out = new Float32Array(x.experts[0].length);
  for (let j = 0; j < out.length; j++) {
    let s = 0;
    for (let i = 0; i < w.length; i++) s += w[i] * x.experts[i][j];
    out[j] = normalize ? s / wsum : s;
  }
  return out;
}

export const linear: MergeMethod = {
  name: 'linear',
  label: 'Linear',
  needsBase: false,
  minExperts: 1,
  modelParams: ['weight'],
  globalParams: ['normalize'],
  defaults: { normalize: true },
  stochastic: false,
  merge: linearMerge,
};
