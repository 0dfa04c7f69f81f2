import { describe, expect, it } from 'vitest';
import { resolveModelNode } from '../experts/resolve-node';
import { createCpuBackend } from '../gpu/cpu';
import { scoreOnPool, type DevPool } from './dev-pool';

describe('scoreOnPool', () => {
  it('scores a pool larger than the top-k kernel takes (1024 docs) instead of failing', async () => {
    const words = ['heart', 'lung', 'kidney', 'liver', 'brain', 'bone', 'skin', 'blood'];
    const docs = Array.from({ length: 1100 }, (_, i) => ({
      id: `d${i}`,
      title: '',
      text: i === 0 ? 'heart lung kidney' : `${words[i % 8]} ${words[(i * 3 + 1) % 8]}`,
    }));
    const pool: DevPool = {
      label: 'big/dev',
      dataset: 'big',
      split: 'dev',
      k: 100,
      queries: [{ id: 'q1', text: 'heart lung kidney' }],
      docs,
      qrels: new Map([['q1', new Map([['d0', 1]])]]),
      models: ['glove'],
    };
    const report = await scoreOnPool(
      pool,
      await resolveModelNode('glove', () => undefined),
      createCpuBackend(),
    );
    expect(report.queries).toBe(1);
    expect(report.metrics['ndcg@10']).toBe(1); // the one exact match ranks first
  });
});
