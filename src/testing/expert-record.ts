/** A complete ExpertRecord for tests: a full-matrix adapter over GloVe unless `over` says otherwise. */
import type { ExpertRecord } from '../experts/record';
import { defaultTrainConfig } from '../train/defaults';

export function adapterExpertRecord(over: Partial<ExpertRecord> = {}): ExpertRecord {
  return {
    id: 'x1',
    name: 'test expert',
    baseModel: 'glove',
    method: 'adapter',
    config: { ...defaultTrainConfig('adapter'), adapter: { kind: 'full', rank: 0 } },
    data: { source: 'x', pairs: 1, negatives: 'none' },
    templates: { query: '{text}', passage: '{text}' },
    createdAt: new Date(0).toISOString(),
    history: [],
    ...over,
  };
}
