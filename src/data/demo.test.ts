import { describe, expect, it } from 'vitest';
import { loadDemoDataset } from './demo';
import { loadDemoDatasetNode } from './node';
import { Bm25Index } from '../eval/bm25';
import { evaluateRun } from '../eval/metrics';

describe('demo collection', () => {
  it('loads the same data through Vite ?raw imports and through node:fs', async () => {
    const [web, node] = await Promise.all([loadDemoDataset(), loadDemoDatasetNode()]);
    expect(web.name).toBe('demo');
    expect(web.docs).toEqual(node.docs);
    expect(web.queries).toEqual(node.queries);
    expect(web.qrels.test).toEqual(node.qrels.test);
    expect(web.description).toMatch(/CC0/);
  });

  it('has the promised shape: 240+ docs, 48+ queries half medical, 1-4 graded relevant docs each', async () => {
    const ds = await loadDemoDatasetNode();
    expect(ds.docs.length).toBeGreaterThanOrEqual(240);
    expect(ds.queries.length).toBeGreaterThanOrEqual(48);
    const med = ds.queries.filter((q) => q.id.startsWith('med-')).length;
    expect(med * 2).toBe(ds.queries.length);
    const qrels = ds.qrels.test;
    expect(qrels.size).toBe(ds.queries.length);
    let twos = 0;
    let ones = 0;
    for (const [, judged] of qrels) {
      expect(judged.size).toBeGreaterThanOrEqual(1);
      expect(judged.size).toBeLessThanOrEqual(4);
      const grades = [...judged.values()];
      expect(grades.every((g) => g === 1 || g === 2)).toBe(true);
      expect(grades).toContain(2);
      twos += grades.filter((g) => g === 2).length;
      ones += grades.filter((g) => g === 1).length;
    }
    expect(ones).toBeGreaterThan(30);
    expect(twos).toBeGreaterThanOrEqual(48);
    for (const d of ds.docs) {
      const sentences = d.text.split(/(?<=[.!?])\s+(?=[A-Z])/).length;
      expect(sentences, d.id).toBeGreaterThanOrEqual(2);
      expect(sentences, d.id).toBeLessThanOrEqual(4);
    }
    expect(new Set(ds.docs.map((d) => d.title)).size).toBe(ds.docs.length);
  });

  it('is good but not perfect for BM25', async () => {
    const ds = await loadDemoDatasetNode();
    const r = evaluateRun(Bm25Index.build(ds.docs).searchAll(ds.queries, 100), ds.qrels.test);
    expect(r.mean['ndcg@10']).toBeGreaterThan(0.6);
    expect(r.mean['ndcg@10']).toBeLessThan(0.95);
    // some paraphrased queries defeat exact word matching
    expect(Object.values(r.perQuery).filter((s) => s['ndcg@10'] < 0.5).length).toBeGreaterThanOrEqual(3);
  });
});
