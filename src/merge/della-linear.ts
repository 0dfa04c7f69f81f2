/** DELLA (linear) (mergekit "della_linear"): della sparsification without sign election. */
import { gtaMerge, type GtaConfig } from './gta';
import type { MergeMethod } from './method';

const cfg: GtaConfig = {
  name: 'della_linear',
  consensus: false,
  sparsification: 'della_magprune',
  defaultNormalize: false,
  defaultRescale: true,
};

export const dellaLinear: MergeMethod = {
  name: 'della_linear',
  label: 'DELLA (linear)',
  needsBase: true,
  minExperts: 1,
  modelParams: ['weight', 'density', 'epsilon'],
  globalParams: ['normalize', 'rescale', 'lambda', 'seed'],
  defaults: { normalize: false, rescale: true, lambda: 1 },
  stochastic: true,
  gta: cfg,
  merge: (x) => gtaMerge(cfg, x),
};
