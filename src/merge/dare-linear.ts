/** DARE (linear) (mergekit "dare_linear"): seeded Bernoulli keep-mask p = density, L1 rescale. */
import { gtaMerge, type GtaConfig } from './gta';
import type { MergeMethod } from './method';

const cfg: GtaConfig = {
  name: 'dare_linear',
  consensus: false,
  sparsification: 'random',
  defaultNormalize: false,
  defaultRescale: true,
};

export const dareLinear: MergeMethod = {
  name: 'dare_linear',
  label: 'DARE (linear)',
  needsBase: true,
  minExperts: 1,
  modelParams: ['weight', 'density'],
  globalParams: ['normalize', 'rescale', 'lambda', 'seed'],
  defaults: { normalize: false, rescale: true, lambda: 1 },
  stochastic: true,
  gta: cfg,
  merge: (x) => gtaMerge(cfg, x),
};
