import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadBeirDir, sharedDatasetsDir } from '../data/node';
import { resolveModelNode } from '../experts/resolve-node';
import { createCpuBackend } from '../gpu/cpu';
import { GloveEmbedder } from '../models/glove';
import { nodeAssetFetcher } from '../models/node-assets';
import { buildDevPool, scoreOnPool, type DevPool } from './dev-pool';
import { evaluate } from './evaluate';

// Real data: ../shared/datasets/med (1,033 abstracts, 30 judged queries).
describe('dev pool on med', () => {
  it('holds the judged documents and the top-k; its builder scores exactly as on the full split', async () => {
    const med = await loadBeirDir(join(sharedDatasetsDir(), 'med'));
    const glove = await GloveEmbedder.load(nodeAssetFetcher());
    const be = createCpuBackend();
    try {
      const pool = await buildDevPool({
        dataset: med,
        split: 'test',
        embedders: [glove],
        backend: be,
        k: 20,
      });
      expect(pool.queries).toHaveLength(30);
      const judged = new Set([...pool.qrels.values()].flatMap((m) => [...m.keys()]));
      const ids = new Set(pool.docs.map((d) => d.id));
      for (const d of judged) expect(ids.has(d)).toBe(true);
      expect(pool.docs.length).toBeGreaterThan(judged.size);
      expect(pool.docs.length).toBeLessThan(med.docs.length);
      const onPool = await scoreOnPool(pool, glove, be);
      const { report: full } = await evaluate({
        dataset: med,
        split: 'test',
        retriever: { kind: 'dense', embedder: glove, backend: be },
      });
      // the builder's top 20 are all in the pool, so its top 10 there are its top 10 on the corpus
      expect(onPool.metrics['ndcg@10']).toBeCloseTo(full.metrics['ndcg@10'], 6);
      expect(onPool.metrics['p@10']).toBeCloseTo(full.metrics['p@10'], 6);
      // deeper metrics see only the pool: recall@100 can only rise
      expect(onPool.metrics['recall@100']).toBeGreaterThanOrEqual(full.metrics['recall@100'] - 1e-9);
      await expect(
        buildDevPool({ dataset: med, split: 'test', embedders: [glove], backend: be, k: 0 }),
      ).rejects.toThrow(/k must be a positive integer/);
    } finally {
      be.destroy();
    }
  });
});

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
    // deeper than the kernel's 1024 on request: capped, not an error
    const report = await scoreOnPool(
      pool,
      await resolveModelNode('glove', () => undefined),
      createCpuBackend(),
      undefined,
      5000,
    );
    expect(report.queries).toBe(1);
    expect(report.metrics['ndcg@10']).toBe(1); // the one exact match ranks first
  });
});
