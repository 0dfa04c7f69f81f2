/**
 * Generalized task arithmetic (mergekit's GTA task), shared by task_arithmetic, ties, dare_*,
 * breadcrumbs*, della*: δ_i = θ_i − θ_base; sparsify each δ_i; optional sign election on w_i·δ_i;
 * mix; normalize; × lambda; + base.
 */
import { checkInput, resolveModel } from './params';
import { sparsify, type Sparsification } from './sparsify';
import { maskRng, type TensorMergeInput } from './types';

export interface GtaConfig {
  name: string;
  consensus: boolean;
  sparsification: Sparsification | null;
  defaultNormalize: boolean;
  defaultRescale: boolean;
}

/** The task vectors after sparsification (exported for tests and the GPU path). */
export function sparsifiedDeltas(cfg: GtaConfig, x: TensorMergeInput): Float32Array[] {
  const base = x.base as Float32Array;
  const rescale = x.options.rescale ?? cfg.defaultRescale;
  const seed = x.options.seed ?? 0;
  return x.experts.map((theta, i) => {
    const m = resolveModel(x.models[i], i);
    const delta = new Float32Array(theta.length);
    for (let j = 0; j < delta.length; j++) delta[j] = theta[j] - base[j];
    if (!cfg.sparsification) return delta;
    return sparsify(delta, cfg.sparsification, {
      tensor: x.name,
      shape: x.shape,
      density: m.density,
      gamma: m.gamma,
      epsilon: m.epsilon,
      rescale,
      rng: maskRng(seed, x.name, i),
    });
  });
}

/**
 * Mixes task vectors into base: with election, majority = sign(Σ w_i δ_i) (0 → +) per element, keep
 * entries where sign(w_i δ_i) equals it (0 agrees with neither), divisor Σ w_i·mask_i (0 → 1); without,
 * divisor Σ w_i (|Σ| < 1e-8 → 1). Divides by the divisor only when normalize; then × lambda; + base.
 */
export function mixDeltas(
  base: Float32Array,
  deltas: Float32Array[],
  weights: number[],
  consensus: boolean,
  normalize: boolean,
  lambda: number,
): Float32Array {
  const n = base.length;
  const out = new Float32Array(n);
  if (deltas.length === 0) {
    out.set(base);
    return out;
  }
  let wsum = weights.reduce((a, b) => a + b, 0);
  if (Math.abs(wsum) < 1e-8) wsum = 1;
  for (let j = 0; j < n; j++) {
    let mixed = 0;
    let divisor = wsum;
    if (consensus) {
      let s = 0;
      for (let i = 0; i < deltas.length; i++) s += weights[i] * deltas[i][j];
      const majority = s >= 0 ? 1 : -1;
      divisor = 0;
      for (let i = 0; i < deltas.length; i++) {
        const wd = weights[i] * deltas[i][j];
        if (Math.sign(wd) === majority) {
          mixed += wd;
          divisor += weights[i];
        }
      }
      if (divisor === 0) divisor = 1;
    } else {
      for (let i = 0; i < deltas.length; i++) mixed += weights[i] * deltas[i][j];
    }
    if (normalize) mixed /= divisor;
    out[j] = base[j] + mixed * lambda;
  }
  return out;
}

export function gtaMerge(cfg: GtaConfig, x: TensorMergeInput): Float32Array {
  checkInput(cfg.name, x, true, 0);
  const deltas = sparsifiedDeltas(cfg, x);
  const weights = x.experts.map((_, i) => resolveModel(x.models[i], i).weight);
  const normalize = x.options.normalize ?? cfg.defaultNormalize;
  return mixDeltas(x.base as Float32Array, deltas, weights, cfg.consensus, normalize, x.options.lambda ?? 1);
}
