/** The shape of one merge method in the registry. */
import type { GtaConfig } from './gta';
import type { TensorMergeInput } from './types';

export type ModelParamName = 'weight' | 'density' | 'gamma' | 'epsilon';
export type GlobalParamName =
  'normalize' | 'rescale' | 'lambda' | 'seed' | 't' | 'filterWise' | 'normalizeWeights';

export interface MergeMethod {
  /** mergekit's merge_method name */
  name: string;
  label: string;
  /** whether a base model (θ_base) is required */
  needsBase: boolean;
  /** fewest experts (models other than the base) */
  minExperts: number;
  /** most experts (slerp: 1), or undefined */
  maxExperts?: number;
  /** per-model parameters the method reads ('weight' is required where listed) */
  modelParams: readonly ModelParamName[];
  /** global parameters the method reads */
  globalParams: readonly GlobalParamName[];
  /** defaults of the global parameters it reads */
  defaults: { normalize?: boolean; rescale?: boolean; lambda?: number };
  /** true when the result depends on the seed (DARE, DELLA) */
  stochastic: boolean;
  /** the task-arithmetic family's configuration (its mixing step can run on a Backend: merge-backend.ts) */
  gta?: GtaConfig;
  /** the merged values of one tensor */
  merge(x: TensorMergeInput): Float32Array;
}
