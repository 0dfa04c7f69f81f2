/**
 * Shared types of the merge methods (mergekit's semantics): a tensor is {name, shape, data}; every method
 * merges one tensor name at a time from the base's and the experts' tensors of that name.
 */
import { streamKey } from '../kernels/merge-rng';

/** One named f32 tensor (row-major). */
export interface NamedTensor {
  name: string;
  shape: number[];
  data: Float32Array;
}

/** Per-model (per-expert) parameters, as mergekit's `models[].parameters`. */
export interface ModelParams {
  /** required by every method that mixes experts */
  weight: number;
  /** fraction of each task vector kept (default 1: nothing dropped) */
  density?: number;
  /** breadcrumbs: fraction of the largest |δ| dropped (default 0.01) */
  gamma?: number;
  /** della: spread of the keep probability around density (default 0.15) */
  epsilon?: number;
}

/** Global parameters, as mergekit's top-level `parameters`; omitted ones take the method's defaults. */
export interface MergeOptions {
  normalize?: boolean;
  rescale?: boolean;
  /** scale of the mixed task vector (default 1) */
  lambda?: number;
  /** seed of the DARE / DELLA masks (default 0) */
  seed?: number;
  /** slerp: interpolation factor, 0 = base, 1 = the other model (required by slerp) */
  t?: number;
  /** model_stock: one t per row instead of per tensor (default false) */
  filterWise?: boolean;
  /** multislerp: divide the weights by their sum (default true) */
  normalizeWeights?: boolean;
}

/** What one method call sees: one tensor name across the base and the experts. */
export interface TensorMergeInput {
  name: string;
  shape: number[];
  /** null for methods that do not need a base (linear, multislerp without base) */
  base: Float32Array | null;
  experts: Float32Array[];
  models: ModelParams[];
  options: MergeOptions;
}

/** Bad merge input: names the tensor (or parameter) and says what to do. */
export class MergeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MergeError';
  }
}

export const DEFAULT_DENSITY = 1;
export const DEFAULT_GAMMA = 0.01;
export const DEFAULT_EPSILON = 0.15;

/** FNV-1a of a tensor name: the masks of a tensor do not depend on the order tensors are merged in. */
export function hashName(name: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < name.length; i++) {
    h ^= name.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

/** The u32 key of expert `expert`'s DARE / DELLA mask stream on tensor `name` (counter-based, see
 * src/kernels/merge-rng.ts): the same masks on the CPU and on the GPU, in any tensor order. */
export function maskKey(seed: number, name: string, expert: number): number {
  return streamKey(seed, hashName(name), expert);
}

export function numel(shape: number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}
