import { describe, expect, it } from 'vitest';
import { compareHits, evaluateRun, rankHits } from './metrics';
import type { Hit, Run } from './types';
import type { Qrels } from '../data/types';

const qrelsOf = (o: Record<string, Record<string, number>>): Qrels =>
  new Map(Object.entries(o).map(([q, d]) => [q, new Map(Object.entries(d))]));
const hits = (...pairs: [string, number][]): Hit[] => pairs.map(([docId, score]) => ({ docId, score }));

describe('trec_eval ordering', () => {
  it('sorts by score descending, then docId descending (string order)', () => {
    const ranked = rankHits(hits(['a', 1], ['c', 2], ['b', 1], ['10', 1], ['9', 1]));
    expect(ranked.map((h) => h.docId)).toEqual(['c', 'b', 'a', '9', '10']);
    expect(compareHits({ docId: 'x', score: 1 }, { docId: 'x', score: 1 })).toBe(0);
  });

  it('the doc-id-descending tie break decides which tied doc is ranked first', () => {
    const qrels = qrelsOf({ q: { a: 1 } });
    // a and b tie; trec_eval puts "b" first, so the relevant "a" is at rank 2
    for (const order of [hits(['a', 0.5], ['b', 0.5]), hits(['b', 0.5], ['a', 0.5])]) {
      const r = evaluateRun(new Map([['q', order]]), qrels);
      expect(r.mean['ndcg@1']).toBe(0);
      expect(r.mean['mrr@10']).toBe(0.5);
      expect(r.mean['ndcg@10']).toBeCloseTo(1 / Math.log2(3), 12);
    }
    // had the tie been broken ascending, "a" would be first: the relevant doc named "z" shows the other side
    const r2 = evaluateRun(new Map([['q', hits(['a', 0.5], ['z', 0.5])]]), qrelsOf({ q: { z: 1 } }));
    expect(r2.mean['ndcg@1']).toBe(1);
  });
});

describe('evaluateRun', () => {
  // q: d1 grade 2, d2 grade 1, d3 judged non-relevant, d4 grade 2 (never retrieved); d5 unjudged
  const qrels = qrelsOf({ q: { d1: 2, d2: 1, d3: 0, d4: 2 } });
  const run: Run = new Map([['q', hits(['d3', 0.9], ['d1', 0.8], ['d5', 0.7], ['d2', 0.6])]]);

  it('graded nDCG, worked by hand', () => {
    const r = evaluateRun(run, qrels).mean;
    // DCG@10 = 2/log2(3) + 1/log2(5); IDCG@10 = 2/log2(2) + 2/log2(3) + 1/log2(4)
    expect(r['ndcg@10']).toBeCloseTo(0.4499200627, 9);
    // DCG@3 = 2/log2(3); IDCG@3 is the same ideal cut at 3 (all three positive grades fit)
    expect(r['ndcg@3']).toBeCloseTo(0.3354350434, 9);
    expect(r['ndcg@1']).toBe(0);
  });

  it('binary measures use grade >= 1 and the full relevant count', () => {
    const r = evaluateRun(run, qrels).mean;
    expect(r['recall@3']).toBeCloseTo(1 / 3, 12);
    expect(r['recall@10']).toBeCloseTo(2 / 3, 12);
    expect(r['p@1']).toBe(0);
    expect(r['p@3']).toBeCloseTo(1 / 3, 12);
    expect(r['p@5']).toBeCloseTo(2 / 5, 12);
    // relevant at ranks 2 (precision 1/2) and 4 (precision 2/4), three relevant docs in all
    expect(r['map@10']).toBeCloseTo((1 / 2 + 2 / 4) / 3, 12);
    expect(r['map@3']).toBeCloseTo(1 / 2 / 3, 12);
    expect(r['mrr@1']).toBe(0);
    expect(r['mrr@3']).toBe(0.5);
  });

  it('k larger than the list: P divides by k, nDCG and recall stop growing', () => {
    const r = evaluateRun(run, qrels).mean;
    expect(r['p@1000']).toBeCloseTo(2 / 1000, 12);
    expect(r['ndcg@1000']).toBeCloseTo(r['ndcg@10'] * 1, 12);
    expect(r['recall@1000']).toBeCloseTo(2 / 3, 12);
  });

  it('counts judged queries missing from the run as 0 and ignores unjudged run queries', () => {
    const q = qrelsOf({ q1: { a: 1 }, q2: { b: 1 } });
    const r = evaluateRun(
      new Map([
        ['q1', hits(['a', 3])],
        ['q9', hits(['b', 1])],
      ]),
      q,
    );
    expect(r.queries).toBe(2);
    expect(r.perQuery.q1['ndcg@10']).toBe(1);
    expect(r.perQuery.q2['ndcg@10']).toBe(0);
    expect(r.perQuery.q9).toBeUndefined();
    expect(r.mean['ndcg@10']).toBe(0.5);
    expect(r.mean['recall@100']).toBe(0.5);
  });

  it('a judged query without relevant docs scores 0 but counts; an empty judgement map does not count', () => {
    const q: Qrels = new Map([
      ['q1', new Map([['a', 1]])],
      [
        'q2',
        new Map([
          ['b', 0],
          ['c', -1],
        ]),
      ],
      ['q3', new Map()],
    ]);
    const r = evaluateRun(
      new Map([
        ['q1', hits(['a', 1])],
        ['q2', hits(['b', 2], ['c', 1])],
      ]),
      q,
    );
    expect(r.queries).toBe(2);
    expect(r.perQuery.q2['ndcg@10']).toBe(0);
    expect(r.perQuery.q2['map@10']).toBe(0);
    expect(r.mean['mrr@10']).toBe(0.5);
  });

  it('empty run: every measure 0 over the judged queries', () => {
    const r = evaluateRun(new Map(), qrels);
    expect(r.queries).toBe(1);
    for (const v of Object.values(r.mean)) expect(v).toBe(0);
    expect(evaluateRun(new Map([['q', []]]), qrels).mean['ndcg@10']).toBe(0);
  });

  it('negative grades give no gain; only listed cutoffs are reported', () => {
    const q = qrelsOf({ q: { a: -2, b: 1 } });
    const r = evaluateRun(new Map([['q', hits(['a', 2], ['b', 1])]]), q, [2]);
    expect(r.mean['ndcg@2']).toBeCloseTo(1 / Math.log2(3), 12);
    expect(Object.keys(r.mean).sort()).toEqual(['map@2', 'mrr@2', 'ndcg@2', 'p@2', 'recall@2']);
  });

  it('rejects a doc listed twice for a query and bad cutoffs', () => {
    expect(() => evaluateRun(new Map([['q', hits(['d1', 1], ['d1', 0.5])]]), qrels)).toThrow(/twice/);
    expect(() => evaluateRun(run, qrels, [0])).toThrow(/cutoff/);
  });
});
