import { describe, expect, it } from 'vitest';
import { loadDemoDatasetNode } from './node';
import {
  formatQrelsTsv,
  parseSplitSpec,
  splitQueries,
  splitSizes,
  SplitError,
  type SplitPart,
} from './split';
import type { Dataset, Qrels } from './types';

/** n judged queries q0..q(n-1), each with two judgements. */
function dataset(n: number): Dataset {
  const qrels: Qrels = new Map();
  for (let i = 0; i < n; i++)
    qrels.set(
      `q${i}`,
      new Map([
        [`d${i}`, 1],
        [`d${i + 1}`, 0],
      ]),
    );
  return {
    name: 'toy',
    docs: Array.from({ length: n + 1 }, (_, i) => ({ id: `d${i}`, title: '', text: `doc ${i}` })),
    queries: Array.from({ length: n }, (_, i) => ({ id: `q${i}`, text: `query ${i}` })),
    qrels: { test: qrels },
  };
}

const TVT: SplitPart[] = parseSplitSpec('train:0.6,dev:0.2,test:0.2');

describe('splitSizes (largest remainder)', () => {
  it('sums to n, each within one of fraction × n, leftovers to the largest remainders then the first named', () => {
    expect(splitSizes(30, [0.6, 0.2, 0.2])).toEqual([18, 6, 6]);
    // 0.6*31 = 18.6, 0.2*31 = 6.2, 6.2: floors 18+6+6 = 30, one left -> the largest remainder (train)
    expect(splitSizes(31, [0.6, 0.2, 0.2])).toEqual([19, 6, 6]);
    // 10 / 3: remainders equal -> the first named gets the extra one
    expect(splitSizes(10, [1 / 3, 1 / 3, 1 / 3])).toEqual([4, 3, 3]);
    expect(splitSizes(11, [1 / 3, 1 / 3, 1 / 3])).toEqual([4, 4, 3]);
    for (let n = 0; n < 200; n += 7) {
      const fr = [0.55, 0.25, 0.15, 0.05];
      const s = splitSizes(n, fr);
      expect(s.reduce((a, b) => a + b, 0)).toBe(n);
      s.forEach((x, i) => expect(Math.abs(x - fr[i] * n)).toBeLessThan(1));
    }
  });
});

describe('splitQueries', () => {
  it('gives disjoint splits of the largest-remainder sizes covering every judged query, judgements kept', () => {
    const ds = dataset(31);
    const r = splitQueries(ds, 'test', TVT, 42);
    expect(r.sizes).toEqual({ train: 19, dev: 6, test: 6 });
    const all = Object.values(r.splits).flatMap((q) => [...q.keys()]);
    expect(new Set(all).size).toBe(31);
    expect(all.sort()).toEqual([...ds.qrels.test.keys()].sort());
    for (const q of Object.values(r.splits))
      for (const [qid, rel] of q) expect([...rel]).toEqual([...ds.qrels.test.get(qid)!]);
    // the source dataset is unchanged
    expect(Object.keys(ds.qrels)).toEqual(['test']);
  });

  it('is deterministic for a seed, independent of the qrels order, and another seed deals otherwise', () => {
    const ds = dataset(40);
    const a = splitQueries(ds, 'test', TVT, 7);
    const reversed: Dataset = { ...ds, qrels: { test: new Map([...ds.qrels.test].reverse()) } };
    const b = splitQueries(reversed, 'test', TVT, 7);
    const ids = (r: typeof a) =>
      Object.fromEntries(Object.entries(r.splits).map(([n, q]) => [n, [...q.keys()]]));
    expect(ids(b)).toEqual(ids(a));
    expect(ids(splitQueries(ds, 'test', TVT, 8))).not.toEqual(ids(a));
  });

  it('writes BEIR qrels with the header line', () => {
    const r = splitQueries(dataset(5), 'test', parseSplitSpec('a:0.6,b:0.4'), 1);
    const tsv = formatQrelsTsv(r.splits.a);
    const lines = tsv.trimEnd().split('\n');
    expect(lines[0]).toBe('query-id\tcorpus-id\tscore');
    expect(lines).toHaveLength(1 + 2 * 3);
  });

  it('refuses bad fractions, names, an empty split and an unknown source split, saying what to change', () => {
    const err = (f: () => unknown) => {
      try {
        f();
      } catch (e) {
        expect(e).toBeInstanceOf(SplitError);
        return (e as Error).message;
      }
      throw new Error('expected a SplitError');
    };
    expect(err(() => parseSplitSpec('train:0.6,test:0.3'))).toMatch(/sum to 0.9, not 1/);
    expect(err(() => parseSplitSpec('train:1.2,test:-0.2'))).toMatch(
      /"train".*must be > 0|"test".*must be > 0/,
    );
    expect(err(() => parseSplitSpec('train:0.5,train:0.5'))).toMatch(/"train" is given twice/);
    expect(err(() => parseSplitSpec('train:0.5,test:x'))).toMatch(/must be a number, got "x"/);
    expect(err(() => parseSplitSpec('train=0.5,test:0.5'))).toMatch(/expected <name>:<fraction>/);
    expect(err(() => parseSplitSpec('train:1'))).toMatch(/at least two splits/);
    expect(err(() => parseSplitSpec('../x:0.5,test:0.5'))).toMatch(/not a valid file stem/);
    expect(err(() => splitQueries(dataset(4), 'test', parseSplitSpec('train:0.9,test:0.1'), 1))).toMatch(
      /4 judged queries: "test" \(0.1\) would get none/,
    );
    expect(err(() => splitQueries(dataset(4), 'dev', TVT, 1))).toMatch(/no split "dev" \(its splits: test\)/);
    // sums within the tolerance pass (0.1 + 0.2 + 0.7 is not exactly 1 in floating point)
    expect(parseSplitSpec('a:0.1,b:0.2,c:0.7')).toHaveLength(3);
  });

  it('splits the demo collection’s 48 test queries 60/20/20 into 29/10/9', async () => {
    const demo = await loadDemoDatasetNode();
    const r = splitQueries(demo, 'test', TVT, 42);
    expect(demo.qrels.test.size).toBe(48);
    expect(r.sizes).toEqual({ train: 29, dev: 10, test: 9 });
  });
});
