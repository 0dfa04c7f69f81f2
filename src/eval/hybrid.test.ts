import { beforeAll, describe, expect, it } from 'vitest';
import { loadSharedDataset } from '../data/node';
import type { Dataset } from '../data/types';
import { createCpuBackend } from '../gpu/cpu';
import { GloveEmbedder } from '../models/glove';
import { nodeAssetFetcher } from '../models/node-assets';
import { MemoryEmbeddingCache } from './embed-cache';
import { evaluate, type Retriever } from './evaluate';
import { fuseHits, fuseRuns, minMax, rrfScores } from './hybrid';
import { parseHybridLabel } from './hybrid-label';
import type { Hit } from './types';

const hits = (...xs: [string, number][]): Hit[] => xs.map(([docId, score]) => ({ docId, score }));
const ids = (xs: readonly Hit[]) => xs.map((h) => h.docId);

describe('reciprocal-rank fusion (k = 60)', () => {
  it('sums 1/(60 + rank) over the lists holding a doc (hand-worked)', () => {
    const dense = hits(['a', 0.9], ['b', 0.8], ['c', 0.7]);
    const bm25 = hits(['c', 10], ['a', 5], ['d', 1]);
    const out = fuseHits(dense, bm25, { fusion: 'rrf', alpha: 0.5, depth: 10 });
    expect(ids(out)).toEqual(['a', 'c', 'b', 'd']);
    expect(out.map((h) => h.score)).toEqual([1 / 61 + 1 / 62, 1 / 61 + 1 / 63, 1 / 62, 1 / 63]);
  });

  it('ranks tied scores as trec_eval does (docId descending) before fusing', () => {
    const s = rrfScores([hits(['x', 0.5], ['y', 0.5])]);
    expect(s.get('y')).toBe(1 / 61);
    expect(s.get('x')).toBe(1 / 62);
  });

  it('a tie in the fused score is broken by docId descending, as the metrics will', () => {
    const out = fuseHits(hits(['p', 2], ['q', 1]), hits(['q', 2], ['p', 1]), {
      fusion: 'rrf',
      alpha: 0.5,
      depth: 10,
    });
    expect(out[0].score).toBe(out[1].score);
    expect(ids(out)).toEqual(['q', 'p']);
  });

  it('takes both lists to the depth and cuts the fused list there', () => {
    const dense = hits(['a', 3], ['b', 2], ['z', 1]);
    const bm25 = hits(['c', 3], ['d', 2], ['z', 1]);
    // at depth 2, z (3rd in both) is in neither list: a and c get 1/61, b and d 1/62
    expect(ids(fuseHits(dense, bm25, { fusion: 'rrf', alpha: 0.5, depth: 2 }))).toEqual(['c', 'a']);
    expect(ids(fuseHits(dense, bm25, { fusion: 'rrf', alpha: 0.5, depth: 3 }))).toEqual(['z', 'c', 'a']);
  });

  it('refuses a doc listed twice, naming the query', () => {
    expect(() =>
      fuseHits(hits(['a', 1], ['a', 0.5]), [], { fusion: 'rrf', alpha: 0.5, depth: 10 }, 'q7'),
    ).toThrow('query "q7" lists doc "a" twice');
  });
});

describe('min-max weighted sum', () => {
  const dense = hits(['a', 0.9], ['b', 0.5], ['c', 0.1]);
  const bm25 = hits(['c', 8], ['d', 4], ['a', 2]);

  it('α · minmax(dense) + (1 − α) · minmax(bm25), a missing doc at 0 (hand-worked)', () => {
    const out = fuseHits(dense, bm25, { fusion: 'wsum', alpha: 0.3, depth: 10 });
    expect(ids(out)).toEqual(['c', 'a', 'd', 'b']);
    const s = new Map(out.map((h) => [h.docId, h.score]));
    expect(s.get('c')).toBeCloseTo(0.7, 12); // dense min (0) + bm25 max (1)
    expect(s.get('a')).toBeCloseTo(0.3, 12); // dense max + bm25 min
    expect(s.get('d')).toBeCloseTo(0.7 / 3, 12); // (4 - 2) / (8 - 2), missing from dense
    expect(s.get('b')).toBeCloseTo(0.15, 12); // missing from bm25
  });

  it('α = 0 is BM25’s ranking and α = 1 the dense one', () => {
    expect(ids(fuseHits(dense, bm25, { fusion: 'wsum', alpha: 0, depth: 10 }))).toEqual(['c', 'd', 'a']);
    expect(ids(fuseHits(dense, bm25, { fusion: 'wsum', alpha: 1, depth: 10 }))).toEqual(['a', 'b', 'c']);
  });

  it('a list whose hits all score the same gives them 1; an empty list nothing', () => {
    expect([...minMax(hits(['e', 3.2]))]).toEqual([['e', 1]]);
    expect([...minMax(hits(['e', 2], ['f', 2]))]).toEqual([
      ['e', 1],
      ['f', 1],
    ]);
    const out = fuseHits(dense, [], { fusion: 'wsum', alpha: 0.5, depth: 10 });
    expect(out.map((h) => h.score)).toEqual([0.5, 0.25, 0]);
  });

  it('refuses α outside [0, 1]', () => {
    expect(() => fuseHits(dense, bm25, { fusion: 'wsum', alpha: 1.5, depth: 10 })).toThrow(
      'alpha must be in [0, 1], got 1.5',
    );
  });

  it('fuses every query of either run', () => {
    const run = fuseRuns(
      new Map([['q1', dense]]),
      new Map([
        ['q1', bm25],
        ['q2', hits(['d', 1])],
      ]),
      { fusion: 'wsum', alpha: 0.5, depth: 10 },
    );
    expect([...run.keys()]).toEqual(['q1', 'q2']);
    expect(ids(run.get('q2')!)).toEqual(['d']);
  });
});

describe('evaluate() with a hybrid retriever on med (test)', () => {
  let med: Dataset;
  let glove: GloveEmbedder;
  beforeAll(async () => {
    med = await loadSharedDataset('med');
    glove = await GloveEmbedder.load(nodeAssetFetcher());
  });

  it('fuses BM25 and the dense run per query; wsum α = 0 scores as BM25, α = 1 as the dense model', async () => {
    const backend = createCpuBackend();
    const cache = new MemoryEmbeddingCache();
    const ev = (retriever: Retriever) => evaluate({ dataset: med, split: 'test', retriever, depth: 100 });
    const bm25 = await ev({ kind: 'bm25' });
    const dense = await ev({ kind: 'dense', embedder: glove, backend, cache });
    const side = { kind: 'hybrid', embedder: glove, backend, cache } as const;
    const rrf = await ev({ ...side, fusion: 'rrf' });
    expect(rrf.report.retriever).toBe('hybrid:rrf:glove');
    expect(parseHybridLabel(rrf.report.retriever)).toEqual({ dense: 'glove', fusion: 'rrf' });
    expect(rrf.report.backend).toBe('cpu');
    expect(rrf.report.queryTemplate).toBe(glove.templates.query);
    expect(rrf.report.instruction).toBeNull();
    expect(rrf.report.queries).toBe(30);
    // the same fusion of the two runs evaluate() makes on its own
    const fused = fuseRuns(dense.run, bm25.run, { fusion: 'rrf', alpha: 0.5, depth: 100 });
    for (const [qid, list] of fused) expect(rrf.run.get(qid)).toEqual(list);
    // a fusion, not either side
    expect(rrf.report.metrics['ndcg@10']).not.toBe(bm25.report.metrics['ndcg@10']);
    expect(rrf.report.metrics['ndcg@10']).not.toBe(dense.report.metrics['ndcg@10']);

    const w0 = await ev({ ...side, fusion: 'wsum', alpha: 0 });
    const w1 = await ev({ ...side, fusion: 'wsum', alpha: 1 });
    expect(w0.report.retriever).toBe('hybrid:wsum@0:glove');
    expect(w0.report.perQuery).toEqual(bm25.report.perQuery);
    expect(w1.report.perQuery).toEqual(dense.report.perQuery);
    const half = await ev({ ...side, fusion: 'wsum' });
    expect(half.report.retriever).toBe('hybrid:wsum@0.5:glove');
  });
});
