/** Model Breadcrumbs (mergekit "breadcrumbs"): drop the top gamma of |δ|, then the smallest, keeping int(density·n) (intended rule for tiny tensors, see sparsify.ts). */
import { gtaMerge, type GtaConfig } from './gta';
import type { MergeMethod } from './method';

const cfg: GtaConfig = {
  name: 'breadcrumbs',
  consensus: false,
  sparsification: 'magnitude_outliers',
  defaultNormalize: false,
  defaultRescale: false,
};

export const breadcrumbs: MergeMethod = {
  name: 'breadcrumbs',
  label: 'Model Breadcrumbs',
  needsBase: true,
  minExperts: 1,
  modelParams: ['weight', 'density', 'gamma'],
  globalParams: ['normalize', 'rescale', 'lambda'],
  defaults: { normalize: false, rescale: false, lambda: 1 },
  stochastic: false,
  gta: cfg,
  merge: (x) => gtaMerge(cfg, x),
};
