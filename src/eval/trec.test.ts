import { describe, expect, it } from 'vitest';
import { formatTrecRun, parseQrelsTsv, parseTrecRun } from './trec';
import { evaluateRun } from './metrics';
import type { Run } from './types';

describe('TREC run files', () => {
  const run: Run = new Map([
    [
      'q2',
      [
        { docId: 'a', score: 0.5 },
        { docId: 'b', score: 0.5 },
        { docId: 'c', score: 1 / 3 },
      ],
    ],
    ['q1', [{ docId: 'x', score: 2.5e-9 }]],
  ]);

  it('writes queries in id order, hits in trec_eval order with 1-based ranks', () => {
    const text = formatTrecRun(run, 'bm25');
    expect(text).toBe(
      'q1 Q0 x 1 2.5e-9 bm25\n' +
        'q2 Q0 b 1 0.5 bm25\n' +
        'q2 Q0 a 2 0.5 bm25\n' +
        `q2 Q0 c 3 ${String(1 / 3)} bm25\n`,
    );
    expect(formatTrecRun(run, 't', 1).trim().split('\n')).toHaveLength(2);
    expect(() => formatTrecRun(run, 'two words')).toThrow(/tag/);
  });

  it('round-trips exactly, scores included', () => {
    const back = parseTrecRun(formatTrecRun(run, 'bm25'));
    expect(back.get('q2')?.find((h) => h.docId === 'c')?.score).toBe(1 / 3);
    const qrels = new Map([
      [
        'q2',
        new Map([
          ['a', 1],
          ['c', 2],
        ]),
      ],
    ]);
    expect(evaluateRun(back, qrels).mean).toEqual(evaluateRun(run, qrels).mean);
  });

  it('rejects malformed lines with their line number', () => {
    expect(() => parseTrecRun('q1 Q0 d1 1 0.5 t\nq1 Q0 d2 2 t\n', 'r.txt')).toThrow(
      'r.txt:2: expected 6 columns',
    );
    expect(() => parseTrecRun('q1 Q0 d1 1 abc t\n')).toThrow(/score "abc"/);
    expect(() => parseTrecRun('q1 Q0 d1 x 1 t\n')).toThrow(/rank/);
    expect(() => parseTrecRun('q1 Q0 d1 1 1 t\nq1 Q0 d1 2 0.5 t\n')).toThrow(/twice/);
  });

  it('parses BEIR qrels text', async () => {
    const q = await parseQrelsTsv('query-id\tcorpus-id\tscore\nq1\td1\t2\n');
    expect(q.get('q1')?.get('d1')).toBe(2);
    await expect(parseQrelsTsv('q1\td1\t2\n', 'x.tsv')).rejects.toThrow(/x\.tsv:1: expected the header/);
  });
});
