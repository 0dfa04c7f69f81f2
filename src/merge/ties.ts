/** TIES (mergekit "ties"): top int(density·n) of |δ| per tensor, sign election, normalized by the agreeing weights. */
import { gtaMerge, type GtaConfig } from './gta';
import type { MergeMethod } from './method';

const cfg: GtaConfig = {
  name: 'ties',
  consensus: true,
  sparsification: 'magnitude',
  defaultNormalize: true,
  defaultRescale: false,
};

export const ties: MergeMethod = {
  name: 'ties',
  label: 'TIES',
  needsBase: true,
  minExperts: 1,
  modelParams: ['weight', 'density'],
  globalParams: ['normalize', 'rescale', 'lambda'],
  defaults: { normalize: true, rescale: false, lambda: 1 },
  stochastic: false,
  gta: cfg,
  merge: (x) => gtaMerge(cfg, x),
};
