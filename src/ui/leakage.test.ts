import { describe, expect, it } from 'vitest';
import type { EvalReport } from '../eval/types';
import type { DatasetMeta, RunRecord } from '../store/db';
import { leakage, leakageLabel, trainSplit } from './leakage';

const run = (retriever: string, extra: Partial<EvalReport>): RunRecord =>
  ({
    id: 'r',
    dataset: 'med',
    split: 'test',
    retriever,
    backend: 'cpu',
    createdAt: '',
    report: { queries: 30, ...extra } as EvalReport,
  }) as RunRecord;

describe('leakage marks', () => {
  it('marks an overlap, an unknown expert (null, or a run stored before overlaps), and nothing else', () => {
    const l = leakage(run('expert:x', { overlapQueries: 30 }));
    expect(l).toEqual({ kind: 'trained', overlap: 30, queries: 30 });
    expect(leakageLabel(l!)).toBe('trained on 30 of these 30 queries');
    expect(leakage(run('expert:x', { overlapQueries: 0 }))).toBeNull();
    expect(leakage(run('expert:x', { overlapQueries: null }))).toEqual({ kind: 'unknown' });
    expect(leakage(run('expert:x', {}))).toEqual({ kind: 'unknown' });
    expect(leakage(run('bm25', {}))).toBeNull();
    expect(leakage(run('glove', {}))).toBeNull();
  });

  it('the Train form starts on the train split when there is one', () => {
    const meta = (...s: string[]) =>
      ({ splits: Object.fromEntries(s.map((n) => [n, { queries: 1, judgments: 1 }])) }) as DatasetMeta;
    expect(trainSplit(meta('dev', 'test', 'train'))).toBe('train');
    expect(trainSplit(meta('med-train', 'test'))).toBe('med-train');
    expect(trainSplit(meta('test'))).toBe('test');
    expect(trainSplit(undefined)).toBeNull();
  });
});
