/**
 * Generalized task arithmetic (mergekit's GTA task), shared by task_arithmetic, ties, dare_*,
 * breadcrumbs*, della*: δ_i = θ_i − θ_base; sparsify each δ_i; optional sign election on w_i·δ_i;
 * mix; normalize; × lambda; + base.
 */
import { mergeMixCpu } from '../kernels/merge-mix';
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

/** The mixing step (sign election, normalize, lambda, + base): the mergeMix kernel's CPU reference. */
export function mixDeltas(
  base: Float32Array,
  deltas: Float32Array[],
  weights: number[],
  consensus: boolean,
  normalize: boolean,
  lambda: number,
): Float32Array {
  return mergeMixCpu(base, deltas, weights, { consensus, normalize, lambda });
}

export function gtaMerge(cfg: GtaConfig, x: TensorMergeInput): Float32Array {
  checkInput(cfg.name, x, true, 0);
  const deltas = sparsifiedDeltas(cfg, x);
  const weights = x.experts.map((_, i) => resolveModel(x.models[i], i).weight);
  const normalize = x.options.normalize ?? cfg.defaultNormalize;
  return mixDeltas(x.base as Float32Array, deltas, weights, cfg.consensus, normalize, x.options.lambda ?? 1);
}
