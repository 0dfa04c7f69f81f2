/** DELLA (mergekit "della"): per-row magnitude-ranked Bernoulli keep, L1 rescale, sign election, normalized. */
import { gtaMerge, type GtaConfig } from './gta';
import type { MergeMethod } from './method';

const cfg: GtaConfig = {
  name: 'della',
  consensus: true,
  sparsification: 'della_magprune',
  defaultNormalize: true,
  defaultRescale: true,
};

export const della: MergeMethod = {
  name: 'della',
  label: 'DELLA',
  needsBase: true,
  minExperts: 1,
  modelParams: ['weight', 'density', 'epsilon'],
  globalParams: ['normalize', 'rescale', 'lambda', 'seed'],
  defaults: { normalize: true, rescale: true, lambda: 1 },
  stochastic: true,
  gta: cfg,
  merge: (x) => gtaMerge(cfg, x),
};
