import { describe, expect, it } from 'vitest';
import { compareRuns, pairedTTest, randomisationTest, regIncBeta, studentTwoSidedP } from './significance';
import type { Scores } from './types';
import { exactByRecursion, monteCarloIndependent } from '../testing/significance-reference';

// Hand-worked: d = b − a = [0.2, 0.3, 0, −0.2, 0.4], observed sum 0.7. The zero difference doubles every
// case, so count over the 16 sign vectors of (0.2, 0.3, 0.2, 0.4) (|−0.2| = 0.2) whose |sum| ≥ 0.7:
// +0.4 with (+,+,+) 1.1, (+,+,−) 0.7, (−,+,+) 0.7 — 3; −0.4 mirrors them — 3. p = 6/16 = 0.375
// (scipy.stats.permutation_test(permutation_type='samples') gives 0.375 too).
const HAND_A = [0.5, 0.2, 0.6, 0.3, 0.1];
const HAND_B = [0.7, 0.5, 0.6, 0.1, 0.5];

// 12 queries drawn with numpy (seed 7); scipy 1.17: ttest_rel(b, a) t = −1.0033755389244088,
// p = 0.3372412820051891; permutation_test exact p = 0.328125 (= 1344 / 4096).
const A12 = [0.625, 0.897, 0.776, 0.225, 0.3, 0.874, 0.005, 0.821, 0.797, 0.468, 0.303, 0.278];
const B12 = [0.691, 0.807, 0.822, 0.379, 0.148, 0.855, 0.0, 0.678, 0.571, 0.483, 0.163, 0.369];

describe('paired randomisation test', () => {
  it('matches the hand-worked case exactly and by Monte-Carlo within 1e-2', () => {
    const exact = randomisationTest(HAND_A, HAND_B, { exact: true });
    expect(exact.p).toBe(0.375);
    expect(exact.permutations).toBe(32);
    expect(exact.extreme).toBe(12);
    const mc = randomisationTest(HAND_A, HAND_B);
    expect(mc.permutations).toBe(10_000);
    expect(Math.abs(mc.p - 0.375)).toBeLessThan(1e-2);
  });

  it('exact mode agrees with an independent enumeration to 1e-12 (n ≤ 16) and with scipy', () => {
    expect(
      Math.abs(randomisationTest(A12, B12, { exact: true }).p - exactByRecursion(A12, B12)),
    ).toBeLessThan(1e-12);
    expect(randomisationTest(A12, B12, { exact: true }).p).toBeCloseTo(0.328125, 12);
    // 16 queries, a clear shift
    const a16 = Array.from({ length: 16 }, (_, i) => ((i * 37) % 17) / 17);
    const b16 = a16.map((x, i) => Math.min(1, x + 0.08 + (((i * 11) % 7) - 3) / 40));
    const p16 = randomisationTest(a16, b16, { exact: true }).p;
    expect(Math.abs(p16 - exactByRecursion(a16, b16))).toBeLessThan(1e-12);
    expect(p16).toBeLessThan(0.05);
  });

  it('Monte-Carlo agrees with an independent implementation (same seed) to 1e-3 and with the exact p to 1e-2', () => {
    for (const seed of [1, 12, 99]) {
      const mine = randomisationTest(A12, B12, { seed }).p;
      expect(Math.abs(mine - monteCarloIndependent(A12, B12, 10_000, seed))).toBeLessThan(1e-3);
      expect(Math.abs(mine - 0.328125)).toBeLessThan(1e-2);
    }
    // the same seed gives the same p; another seed another draw
    expect(randomisationTest(A12, B12, { seed: 5 }).p).toBe(randomisationTest(A12, B12, { seed: 5 }).p);
  });

  it('is symmetric in A and B, gives p = 1 for identical runs and refuses bad input', () => {
    expect(randomisationTest(HAND_B, HAND_A, { exact: true }).p).toBe(0.375);
    expect(randomisationTest(HAND_A, HAND_A).p).toBe(1);
    expect(() => randomisationTest([1, 2], [1])).toThrow(/same number of scores/);
    expect(() => randomisationTest([], [])).toThrow(/at least one query/);
    expect(() => randomisationTest([NaN], [1])).toThrow(/query 0: score is not a finite number/);
    expect(() => randomisationTest(new Array(21).fill(0), new Array(21).fill(1), { exact: true })).toThrow(
      /at most 20 queries/,
    );
  });
});

describe('paired t-test', () => {
  it('Student t two-sided p matches known values (scipy 2·t.sf)', () => {
    expect(studentTwoSidedP(2.0, 10)).toBeCloseTo(0.07338803477074037, 10);
    expect(studentTwoSidedP(1.0, 3)).toBeCloseTo(0.3910022189557705, 10);
    expect(studentTwoSidedP(3.5, 29)).toBeCloseTo(0.0015244463146546023, 12);
    expect(studentTwoSidedP(0.3, 200)).toBeCloseTo(0.764488730189328, 10);
    expect(studentTwoSidedP(-12, 5) / 7.089492517161522e-5).toBeCloseTo(1, 8);
    expect(studentTwoSidedP(0, 7)).toBe(1);
  });

  it('the incomplete beta matches closed forms', () => {
    // I_x(1, 1) = x; I_x(a, 1) = x^a; I_x(1, b) = 1 − (1 − x)^b
    expect(regIncBeta(0.3, 1, 1)).toBeCloseTo(0.3, 14);
    expect(regIncBeta(0.6, 3.5, 1)).toBeCloseTo(0.6 ** 3.5, 13);
    expect(regIncBeta(0.2, 1, 4)).toBeCloseTo(1 - 0.8 ** 4, 13);
    expect(() => regIncBeta(1.5, 1, 1)).toThrow(/x in \[0, 1\]/);
  });

  it('matches scipy ttest_rel on the hand case and on 12 queries', () => {
    const h = pairedTTest(HAND_A, HAND_B);
    expect(h.df).toBe(4);
    expect(h.t).toBeCloseTo(1.299867367239363, 10);
    expect(h.p).toBeCloseTo(0.2634928170690076, 10);
    const r = pairedTTest(A12, B12);
    expect(r.t).toBeCloseTo(-1.0033755389244088, 10);
    expect(r.p).toBeCloseTo(0.3372412820051891, 10);
    // no spread: p is 1 for no change, 0 for a constant shift
    expect(pairedTTest([0.1, 0.2], [0.1, 0.2]).p).toBe(1);
    expect(pairedTTest([0.1, 0.2], [0.2, 0.3]).p).toBe(0);
  });
});

describe('compareRuns', () => {
  const s = (v: number) => ({ 'ndcg@10': v }) as Scores;
  it('pairs the queries both runs scored and counts wins, losses, ties', () => {
    const A = Object.fromEntries(HAND_A.map((v, i) => [`q${i}`, s(v)]));
    const B = { ...Object.fromEntries(HAND_B.map((v, i) => [`q${i}`, s(v)])), extra: s(1) };
    const c = compareRuns(A, B, 'ndcg@10', { exact: true });
    expect(c.queries).toEqual(['q0', 'q1', 'q2', 'q3', 'q4']);
    expect(c.meanA).toBeCloseTo(0.34, 12);
    expect(c.meanB).toBeCloseTo(0.48, 12);
    expect(c.diff).toBeCloseTo(0.14, 12);
    expect([c.wins, c.losses, c.ties]).toEqual([3, 1, 1]);
    expect(c.randomisation.p).toBe(0.375);
    expect(c.significant).toBe(false);
    expect(() => compareRuns(A, { other: s(1) }, 'ndcg@10')).toThrow(/share no query/);
  });
});
