/** Model Breadcrumbs with TIES (mergekit "breadcrumbs_ties"): breadcrumbs sparsification plus sign election. */
import { gtaMerge, type GtaConfig } from './gta';
import type { MergeMethod } from './method';

const cfg: GtaConfig = {
  name: 'breadcrumbs_ties',
  consensus: true,
  sparsification: 'magnitude_outliers',
  defaultNormalize: false,
  defaultRescale: false,
};

export const breadcrumbsTies: MergeMethod = {
  name: 'breadcrumbs_ties',
  label: 'Model Breadcrumbs with TIES',
  needsBase: true,
  minExperts: 1,
  modelParams: ['weight', 'density', 'gamma'],
  globalParams: ['normalize', 'rescale', 'lambda'],
  defaults: { normalize: false, rescale: false, lambda: 1 },
  stochastic: false,
  gta: cfg,
  merge: (x) => gtaMerge(cfg, x),
};
