/**
 * Generalized task arithmetic (mergekit's GTA task), shared by task_arithmetic, ties, dare_*,
 * breadcrumbs*, della*: δ_i = θ_i − θ_base; sparsify each δ_i; optional sign election on w_i·δ_i;
 * mix; normalize; × lambda; + base.
 */
import { mergeMixCpu } from '../kernels/merge-mix';
import { sparsifyCpu, sparsifyPlan } from '../kernels/merge-sparsify';
import type { MergeSparsifyOptions } from '../core/merge-ops';
import { checkInput, resolveModel } from './params';
import { sparsifyOptions, type Sparsification } from './sparsify';
import type { TensorMergeInput } from './types';

export interface GtaConfig {
  name: string;
  consensus: boolean;
  sparsification: Sparsification | null;
  defaultNormalize: boolean;
  defaultRescale: boolean;
}

/** The checked mergeSparsify options of one tensor (shared by the CPU path and mergeTensorOnBackend). */
export function gtaSparsifyOptions(cfg: GtaConfig, x: TensorMergeInput): MergeSparsifyOptions {
  return sparsifyOptions(
    cfg.sparsification,
    x.name,
    x.shape,
    x.experts.map((_, i) => resolveModel(x.models[i], i)),
    x.options.rescale ?? cfg.defaultRescale,
    x.options.seed ?? 0,
  );
}

/** The task vectors after sparsification (the mergeSparsify op's CPU reference). */
export function sparsifiedDeltas(cfg: GtaConfig, x: TensorMergeInput): Float32Array[] {
  const opts = gtaSparsifyOptions(cfg, x);
  return sparsifyCpu(x.base as Float32Array, x.experts, sparsifyPlan(x.shape, x.experts.length, opts));
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
