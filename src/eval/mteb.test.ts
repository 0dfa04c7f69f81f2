import { describe, expect, it } from 'vitest';
import { evaluateRun } from './metrics';
import { mtebFileName, mtebKey, mtebResult } from './mteb';
import type { EvalReport } from './types';

describe('MTEB results JSON', () => {
  it('names every measure and cutoff as mteb does, main_score = nDCG@10', () => {
    const qrels = new Map([
      [
        'q1',
        new Map([
          ['d1', 1],
          ['d3', 2],
        ]),
      ],
    ]);
    const run = new Map([
      [
        'q1',
        [
          { docId: 'd1', score: 3 },
          { docId: 'd2', score: 2 },
          { docId: 'd3', score: 1 },
        ],
      ],
    ]);
    const scored = evaluateRun(run, qrels);
    const report: EvalReport = {
      dataset: 'med/x',
      split: 'test',
      retriever: 'bm25',
      backend: 'none',
      metrics: scored.mean,
      perQuery: scored.perQuery,
      queries: 1,
      seconds: 1.5,
      createdAt: '2026-12-03T00:00:00Z',
    };
    const r = mtebResult(report);
    expect(r.task_name).toBe('med/x');
    expect(mtebFileName(r)).toBe('med_x.json');
    const e = r.scores.test[0];
    expect(e.main_score).toBe(scored.mean['ndcg@10']);
    expect(e.ndcg_at_10).toBe(scored.mean['ndcg@10']);
    expect(e.precision_at_1).toBe(1);
    expect(e.mrr_at_10).toBe(1);
    expect(e.recall_at_1).toBe(0.5);
    expect(e.hf_subset).toBe('default');
    expect(e.languages).toEqual(['eng-Latn']);
    expect(Object.keys(e).filter((k) => k.includes('_at_'))).toHaveLength(35);
    expect(mtebKey('p@5')).toBe('precision_at_5');
    expect(JSON.parse(JSON.stringify(r))).toEqual(r);
  });
});
