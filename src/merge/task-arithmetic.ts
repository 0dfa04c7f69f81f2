/** Task arithmetic (mergekit "task_arithmetic"): base + lambda·Σ w_i δ_i. */
import { gtaMerge, type GtaConfig } from './gta';
import type { MergeMethod } from './method';

const cfg: GtaConfig = {
  name: 'task_arithmetic',
  consensus: false,
  sparsification: null,
  defaultNormalize: false,
  defaultRescale: false,
};

export const taskArithmetic: MergeMethod = {
  name: 'task_arithmetic',
  label: 'Task arithmetic',
  needsBase: true,
  minExperts: 1,
  modelParams: ['weight'],
  globalParams: ['normalize', 'rescale', 'lambda'],
  defaults: { normalize: false, rescale: false, lambda: 1 },
  stochastic: false,
  gta: cfg,
  merge: (x) => gtaMerge(cfg, x),
};
