/** Seeded experts of a trained expert's size for the merge benchmark (their values do not change its time). */
import type { LoadedExpert } from '../experts/merge';
import type { Embedder } from '../models/types';
import { defaultTrainConfig } from '../train/defaults';
import { Rng } from '../util/rng';

/** A full adapter W = I + 0.02·N(0,1), b = 0.01·N(0,1) over `base`, as a loaded expert. */
export function adapterExpertRecordFor(base: Embedder, seed: number): LoadedExpert {
  const d = base.dim;
  const rng = new Rng(seed);
  const w = new Float32Array(d * d);
  for (let i = 0; i < w.length; i++) w[i] = 0.02 * rng.normal();
  for (let i = 0; i < d; i++) w[i * d + i] += 1;
  const b = Float32Array.from({ length: d }, () => 0.01 * rng.normal());
  return {
    record: {
      id: `bench-${seed}`,
      name: `expert ${seed}`,
      baseModel: base.id,
      method: 'adapter',
      config: { ...defaultTrainConfig('adapter'), adapter: { kind: 'full', rank: 0 } },
      data: { source: 'bench', pairs: 0, negatives: 'none' },
      templates: base.templates,
      createdAt: new Date(0).toISOString(),
      history: [],
    },
    weights: new Map([
      ['adapter.W', { shape: [d, d], data: w }],
      ['adapter.b', { shape: [d], data: b }],
    ]),
  };
}
