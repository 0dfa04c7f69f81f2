/**
 * Is a difference between two retrievers real? Paired tests over the per-query scores of two runs on the
 * same queries: Fisher's randomisation (sign-flip) test and Student's paired t-test, both two-sided.
 *
 * Randomisation test: under the null hypothesis each query's pair (a_i, b_i) is exchangeable, so each
 * difference d_i = b_i − a_i keeps or flips its sign with probability 1/2. The observed statistic is
 * |mean d|; a permutation counts when its |mean| is at least the observed one (up to TIE_EPS, so float
 * rounding never drops the identity or a mirror image). With `permutations` random flips (seeded
 * mulberry32, one uniform per query: flip when < 0.5) the p-value is (count + 1) / (permutations + 1)
 * (the identity counted once, so p is never 0); with exact enumeration of all 2^n sign vectors (n ≤ 20)
 * it is count / 2^n.
 */
import { Rng } from '../util/rng';
import type { MetricKey, Scores } from './types';

export const PERMUTATIONS = 10_000;
export const DEFAULT_SEED = 12;
/** exact enumeration is used up to this many queries when asked for (2^20 sign vectors) */
export const MAX_EXACT = 20;
/** tolerance of "at least as extreme" on the mean difference */
export const TIE_EPS = 1e-12;

export interface RandomisationOptions {
  permutations?: number;
  seed?: number;
  /** enumerate all 2^n sign vectors instead of sampling (n ≤ MAX_EXACT) */
  exact?: boolean;
}

export interface RandomisationResult {
  p: number;
  /** sign vectors tried (2^n when exact) */
  permutations: number;
  exact: boolean;
  /** how many were at least as extreme as the observed difference */
  extreme: number;
}

function checkPair(a: ArrayLike<number>, b: ArrayLike<number>): void {
  if (a.length !== b.length)
    throw new RangeError(
      `paired test needs the same number of scores on both sides, got ${a.length} and ${b.length}`,
    );
  if (a.length === 0) throw new RangeError('paired test needs at least one query');
  for (let i = 0; i < a.length; i++)
    if (!Number.isFinite(a[i]) || !Number.isFinite(b[i]))
      throw new RangeError(`query ${i}: score is not a finite number (${a[i]}, ${b[i]})`);
}

function diffs(a: ArrayLike<number>, b: ArrayLike<number>): number[] {
  const d: number[] = [];
  for (let i = 0; i < a.length; i++) d.push(b[i] - a[i]);
  return d;
}

/** Two-sided paired randomisation test of b against a. */
export function randomisationTest(
  a: ArrayLike<number>,
  b: ArrayLike<number>,
  opts: RandomisationOptions = {},
): RandomisationResult {
  checkPair(a, b);
  const d = diffs(a, b);
  const n = d.length;
  let obs = 0;
  for (const x of d) obs += x;
  const bound = Math.abs(obs) - TIE_EPS * n;
  if (opts.exact) {
    if (n > MAX_EXACT)
      throw new RangeError(`exact enumeration is for at most ${MAX_EXACT} queries, got ${n}`);
    const total = 2 ** n;
    let extreme = 0;
    for (let mask = 0; mask < total; mask++) {
      let s = 0;
      for (let i = 0; i < n; i++) s += mask & (1 << i) ? -d[i] : d[i];
      if (Math.abs(s) >= bound) extreme++;
    }
    return { p: extreme / total, permutations: total, exact: true, extreme };
  }
  const perms = opts.permutations ?? PERMUTATIONS;
  if (!Number.isInteger(perms) || perms < 1)
    throw new RangeError(`permutations must be a positive integer, got ${perms}`);
  const rng = new Rng(opts.seed ?? DEFAULT_SEED);
  let extreme = 0;
  for (let k = 0; k < perms; k++) {
    let s = 0;
    for (let i = 0; i < n; i++) s += rng.next() < 0.5 ? -d[i] : d[i];
    if (Math.abs(s) >= bound) extreme++;
  }
  return { p: (extreme + 1) / (perms + 1), permutations: perms, exact: false, extreme };
}

/** log Γ(x), x > 0 (Lanczos, g = 7, 9 terms; ~1e-15 relative). */
export function logGamma(x: number): number {
  const c = [
    0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
    12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
  ];
  if (x < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * x)) - logGamma(1 - x);
  const z = x - 1;
  let s = c[0];
  for (let i = 1; i < 9; i++) s += c[i] / (z + i);
  const t = z + 7.5;
  return 0.5 * Math.log(2 * Math.PI) + (z + 0.5) * Math.log(t) - t + Math.log(s);
}

/** Continued fraction of the incomplete beta (modified Lentz), for x < (a + 1) / (a + b + 2). */
function betaContinuedFraction(x: number, a: number, b: number): number {
  const tiny = 1e-300;
  let c = 1;
  let d = 1 - ((a + b) * x) / (a + 1);
  if (Math.abs(d) < tiny) d = tiny;
  d = 1 / d;
  let h = d;
  for (let m = 1; m <= 10_000; m++) {
    const m2 = 2 * m;
    let num = (m * (b - m) * x) / ((a + m2 - 1) * (a + m2));
    d = 1 + num * d;
    if (Math.abs(d) < tiny) d = tiny;
    c = 1 + num / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    h *= d * c;
    num = (-(a + m) * (a + b + m) * x) / ((a + m2) * (a + m2 + 1));
    d = 1 + num * d;
    if (Math.abs(d) < tiny) d = tiny;
    c = 1 + num / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    const del = d * c;
    h *= del;
    if (Math.abs(del - 1) < 1e-16) return h;
  }
  return h;
}

/** The regularized incomplete beta I_x(a, b) for x in [0, 1], a, b > 0. */
export function regIncBeta(x: number, a: number, b: number): number {
  if (!(a > 0 && b > 0)) throw new RangeError(`incomplete beta needs a, b > 0, got ${a}, ${b}`);
  if (!(x >= 0 && x <= 1)) throw new RangeError(`incomplete beta needs x in [0, 1], got ${x}`);
  if (x === 0 || x === 1) return x;
  const lnFront = logGamma(a + b) - logGamma(a) - logGamma(b) + a * Math.log(x) + b * Math.log1p(-x);
  if (x < (a + 1) / (a + b + 2)) return (Math.exp(lnFront) * betaContinuedFraction(x, a, b)) / a;
  return 1 - (Math.exp(lnFront) * betaContinuedFraction(1 - x, b, a)) / b;
}

/** Two-sided p of Student's t with df degrees of freedom: P(|T| ≥ |t|) = I_{df/(df+t²)}(df/2, 1/2). */
export function studentTwoSidedP(t: number, df: number): number {
  if (!(df > 0)) throw new RangeError(`degrees of freedom must be > 0, got ${df}`);
  if (Number.isNaN(t)) return NaN;
  if (!Number.isFinite(t)) return 0;
  return regIncBeta(df / (df + t * t), df / 2, 0.5);
}

export interface TTestResult {
  t: number;
  df: number;
  /** two-sided; 1 when every difference is the same as the mean (no spread) and that mean is 0; 0 when no spread otherwise */
  p: number;
}

/** Student's paired t-test of b against a (two-sided), t = mean(d) / (sd(d) / √n), df = n − 1. */
export function pairedTTest(a: ArrayLike<number>, b: ArrayLike<number>): TTestResult {
  checkPair(a, b);
  const d = diffs(a, b);
  const n = d.length;
  if (n < 2) return { t: NaN, df: 0, p: NaN };
  const mean = d.reduce((s, x) => s + x, 0) / n;
  let ss = 0;
  for (const x of d) ss += (x - mean) ** 2;
  const sd = Math.sqrt(ss / (n - 1));
  if (sd <= 1e-15 * Math.max(1, Math.abs(mean))) {
    // every query moved by the same amount: nothing to test against
    return Math.abs(mean) <= TIE_EPS
      ? { t: 0, df: n - 1, p: 1 }
      : { t: Math.sign(mean) * Infinity, df: n - 1, p: 0 };
  }
  const t = mean / (sd / Math.sqrt(n));
  return { t, df: n - 1, p: studentTwoSidedP(t, n - 1) };
}

/** What "significant" means in the studio: the randomisation test's p below this. */
export const ALPHA = 0.05;

export interface PairedComparison {
  metric: MetricKey;
  /** queries both runs scored (the test is over these) */
  queries: string[];
  /** per query, in `queries` order */
  a: number[];
  b: number[];
  meanA: number;
  meanB: number;
  /** meanB − meanA */
  diff: number;
  randomisation: RandomisationResult;
  tTest: TTestResult;
  /** per query: B above A, below, equal (within TIE_EPS) */
  wins: number;
  losses: number;
  ties: number;
  /** randomisation p < ALPHA */
  significant: boolean;
}

/**
 * Compares run B with run A on one metric over the queries both scored (a query only one run scored is
 * left out: the pairing needs both). Throws when they share no query.
 */
export function compareRuns(
  perQueryA: Readonly<Record<string, Scores>>,
  perQueryB: Readonly<Record<string, Scores>>,
  metric: MetricKey,
  opts: RandomisationOptions = {},
): PairedComparison {
  const queries = Object.keys(perQueryA)
    .filter((q) => q in perQueryB)
    .sort();
  if (queries.length === 0) throw new RangeError('the two runs share no query: nothing to compare');
  const a = queries.map((q) => perQueryA[q][metric] ?? NaN);
  const b = queries.map((q) => perQueryB[q][metric] ?? NaN);
  const randomisation = randomisationTest(a, b, opts);
  const tTest = pairedTTest(a, b);
  let wins = 0;
  let losses = 0;
  for (let i = 0; i < a.length; i++) {
    if (b[i] - a[i] > TIE_EPS) wins++;
    else if (a[i] - b[i] > TIE_EPS) losses++;
  }
  const mean = (xs: number[]) => xs.reduce((s, x) => s + x, 0) / xs.length;
  const meanA = mean(a);
  const meanB = mean(b);
  return {
    metric,
    queries,
    a,
    b,
    meanA,
    meanB,
    diff: meanB - meanA,
    randomisation,
    tTest,
    wins,
    losses,
    ties: a.length - wins - losses,
    significant: randomisation.p < ALPHA,
  };
}
