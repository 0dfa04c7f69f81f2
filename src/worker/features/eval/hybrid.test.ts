import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import { evaluate } from '../../../eval/evaluate';
import { countEmbeddings } from '../../../store/embeddings';
import { nodeEngineDeps } from '../../../testing/engine-deps';
import { connectInProcess } from '../../local';

describe('the evaluate route with a { hybrid } retriever', () => {
  it('stores the fused run under its hybrid id, the dense side from the same embedding cache', async () => {
    const kinds: string[] = [];
    const deps = nodeEngineDeps(`hybrid-route-${Date.now()}`, {
      evaluate: (opts) => {
        kinds.push(opts.retriever.kind);
        return evaluate(opts);
      },
    });
    const { client } = connectInProcess(deps, () => {});
    await client.request('init', { baseUrl: 'http://localhost/', backend: 'cpu' });
    await client.request('load-demo', {});
    const body = { dataset: 'demo', split: 'test', backend: 'cpu' } as const;
    const dense = await client.request('evaluate', { ...body, retriever: { model: 'glove' } });
    const bm25 = await client.request('evaluate', { ...body, retriever: 'bm25' });
    expect(await countEmbeddings('demo', await deps.db())).toBe(1);
    const phases = new Set<string>();
    const rrf = await client.request(
      'evaluate',
      { ...body, retriever: { hybrid: { dense: 'glove', fusion: 'rrf' } } },
      (p) => phases.add(p.phase),
    );
    expect(rrf).toMatchObject({ dataset: 'demo', retriever: 'hybrid:rrf:glove', backend: 'cpu' });
    expect(rrf.report.queries).toBe(dense.report.queries);
    expect([...phases]).toEqual(expect.arrayContaining(['embed-corpus', 'index', 'search', 'save']));
    // the corpus came from the cache the dense run filled: nothing new stored
    expect(await countEmbeddings('demo', await deps.db())).toBe(1);
    const w0 = await client.request('evaluate', {
      ...body,
      retriever: { hybrid: { dense: 'glove', fusion: 'wsum', alpha: 0 } },
    });
    expect(w0.retriever).toBe('hybrid:wsum@0:glove');
    expect(w0.report.metrics).toEqual(bm25.report.metrics);
    expect(rrf.report.metrics['ndcg@10']).not.toBe(dense.report.metrics['ndcg@10']);
    expect(kinds).toEqual(['dense', 'bm25', 'hybrid', 'hybrid']);
    const runs = await client.request('list-runs', { dataset: 'demo' });
    expect(runs.map((r) => r.retriever).sort()).toEqual(
      ['bm25', 'glove', 'hybrid:rrf:glove', 'hybrid:wsum@0:glove'].sort(),
    );
  });
});
