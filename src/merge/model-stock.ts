/**
 * Model Stock (mergekit "model_stock"): offsets δ_i = θ_i − θ_base; cos = mean pairwise cosine of the
 * offsets (norm product clamped to ≥ 1e-6, cos clamped to [−1, 1]), per tensor or per row (filterWise);
 * t = N·cos / (1 + (N−1)·cos); θ = t·mean(θ_i) + (1 − t)·θ_base. Needs the base plus at least two experts
 * (mergekit: "at least 3 models").
 */
import type { MergeMethod } from './method';
import { checkInput } from './params';
import { MergeError, type TensorMergeInput } from './types';

export function modelStockMerge(x: TensorMergeInput): Float32Array {
  checkInput('model_stock', x, true, 2);
  const base = x.base as Float32Array;
  const n = base.length;
  const N = x.experts.length;
  const rowLen =
    x.options.filterWise && x.shape.length >= 1 ? x.shape[x.shape.length - 1] || 1 : Math.max(n, 1);
  const out = new Float32Array(n);
  for (let r0 = 0; r0 < n; r0 += rowLen) {
    const r1 = Math.min(n, r0 + rowLen);
    let cosSum = 0;
    let pairs = 0;
    for (let a = 0; a < N; a++) {
      for (let b = a + 1; b < N; b++) {
        let dot = 0;
        let na = 0;
        let nb = 0;
        for (let j = r0; j < r1; j++) {
          const da = x.experts[a][j] - base[j];
          const db = x.experts[b][j] - base[j];
          dot += da * db;
          na += da * da;
          nb += db * db;
        }
        const c = dot / Math.max(Math.sqrt(na) * Math.sqrt(nb), 1e-6);
        cosSum += Math.min(1, Math.max(-1, c));
        pairs++;
      }
    }
    const cos = cosSum / pairs;
    if (1 + (N - 1) * cos === 0) {
      throw new MergeError(
        `model_stock on tensor "${x.name}": the mean cosine of the task vectors is −1/(N−1), so t = N·cos/(1+(N−1)·cos) is undefined`,
      );
    }
    const t = (N * cos) / (1 + (N - 1) * cos);
    for (let j = r0; j < r1; j++) {
      let mean = 0;
      for (let i = 0; i < N; i++) mean += x.experts[i][j];
      mean /= N;
      out[j] = t * mean + (1 - t) * base[j];
    }
  }
  return out;
}

export const modelStock: MergeMethod = {
  name: 'model_stock',
  label: 'Model Stock',
  needsBase: true,
  minExperts: 2,
  modelParams: [],
  globalParams: ['filterWise'],
  defaults: {},
  stochastic: false,
  merge: modelStockMerge,
};
