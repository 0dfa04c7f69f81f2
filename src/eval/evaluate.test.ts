import { beforeAll, describe, expect, it } from 'vitest';
import { loadDemoDatasetNode } from '../data/node';
import type { Dataset } from '../data/types';
import { createCpuBackend } from '../gpu/cpu';
import { GloveEmbedder } from '../models/glove';
import { nodeAssetFetcher } from '../models/node-assets';
import { DEFAULT_CHUNK_DOCS, denseRun, PROGRESS_DOCS } from './dense';
import type { EmbeddingCache } from './embed-cache';
import { evaluate } from './evaluate';

class MemoryCache implements EmbeddingCache {
  readonly map = new Map<string, Float32Array>();
  puts = 0;
  async get(key: string) {
    return this.map.get(key);
  }
  async put(key: string, value: Float32Array) {
    this.puts++;
    this.map.set(key, value);
  }
}

describe('evaluate() on the demo collection', () => {
  let demo: Dataset;
  let glove: GloveEmbedder;
  beforeAll(async () => {
    demo = await loadDemoDatasetNode();
    glove = await GloveEmbedder.load(nodeAssetFetcher());
  });

  it('scores BM25 over every judged query', async () => {
    const { report, run } = await evaluate({ dataset: demo, split: 'test', retriever: { kind: 'bm25' } });
    expect(report.queries).toBe(demo.qrels.test.size);
    expect(run.size).toBe(report.queries);
    expect(report.metrics['ndcg@10']).toBeGreaterThan(0.5);
    expect(report.metrics['ndcg@10']).toBeLessThanOrEqual(1);
    expect(Object.keys(report.perQuery)).toHaveLength(report.queries);
  });

  it('rejects an unknown split by name', async () => {
    await expect(evaluate({ dataset: demo, split: 'dev', retriever: { kind: 'bm25' } })).rejects.toThrow(
      /no qrels split "dev"/,
    );
  });

  it('resumes corpus embedding from cached chunks after a cancel, with identical results', async () => {
    const backend = createCpuBackend();
    const queries = demo.queries.filter((q) => demo.qrels.test.has(q.id));
    const base = { dataset: demo, queries, embedder: glove, backend, depth: 100, chunkDocs: 64 };
    const fresh = await denseRun(base);

    const cache = new MemoryCache();
    const ctl = new AbortController();
    await expect(
      denseRun({
        ...base,
        cache,
        signal: ctl.signal,
        onProgress: (p) => {
          if (p.phase === 'embed-corpus' && p.done >= 128) ctl.abort();
        },
      }),
    ).rejects.toThrow(/cancelled/);
    expect(cache.puts).toBe(2);

    const resumed = await denseRun({ ...base, cache });
    const chunks = Math.ceil(demo.docs.length / 64);
    expect(cache.puts).toBe(chunks); // only the missing chunks were embedded
    expect([...resumed.keys()]).toEqual([...fresh.keys()]);
    for (const [qid, hits] of fresh) expect(resumed.get(qid)).toEqual(hits);
    backend.destroy();
  });

  it('reports corpus progress within the first chunk, not only when it ends', async () => {
    const backend = createCpuBackend();
    const queries = demo.queries.filter((q) => demo.qrels.test.has(q.id));
    const done: number[] = [];
    await denseRun({
      dataset: demo,
      queries,
      embedder: glove,
      backend,
      depth: 10,
      onProgress: (p) => void (p.phase === 'embed-corpus' && done.push(p.done)),
    });
    const firstChunk = Math.min(DEFAULT_CHUNK_DOCS, demo.docs.length);
    expect(done[0]).toBeLessThanOrEqual(PROGRESS_DOCS);
    expect(done.filter((d) => d < firstChunk).length).toBeGreaterThanOrEqual(
      Math.ceil(firstChunk / PROGRESS_DOCS) - 1,
    );
    expect(done[done.length - 1]).toBe(demo.docs.length);
    expect([...done].sort((a, b) => a - b)).toEqual(done);
    backend.destroy();
  });

  it('dense GloVe beats a random ranking on the demo collection', async () => {
    const backend = createCpuBackend();
    const { report } = await evaluate({
      dataset: demo,
      split: 'test',
      retriever: { kind: 'dense', embedder: glove, backend },
    });
    expect(report.backend).toBe('cpu');
    expect(report.metrics['ndcg@10']).toBeGreaterThan(0.3);
    backend.destroy();
  });
});
