/** DARE TIES (mergekit "dare_ties"): seeded Bernoulli keep-mask, L1 rescale, sign election. */
import { gtaMerge, type GtaConfig } from './gta';
import type { MergeMethod } from './method';

const cfg: GtaConfig = {
  name: 'dare_ties',
  consensus: true,
  sparsification: 'random',
  defaultNormalize: false,
  defaultRescale: true,
};

export const dareTies: MergeMethod = {
  name: 'dare_ties',
  label: 'DARE TIES',
  needsBase: true,
  minExperts: 1,
  modelParams: ['weight', 'density'],
  globalParams: ['normalize', 'rescale', 'lambda', 'seed'],
  defaults: { normalize: false, rescale: true, lambda: 1 },
  stochastic: true,
  gta: cfg,
  merge: (x) => gtaMerge(cfg, x),
};
