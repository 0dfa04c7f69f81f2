/**
 * Query splits: a dataset's judged queries of one qrels split, dealt into new named splits by seed and
 * fractions (e.g. train 0.6 / dev 0.2 / test 0.2), disjoint by query, every judgement of a query kept with it.
 *
 * Determinism: the judged query ids are sorted (code-unit order), shuffled with the project's seeded RNG
 * (src/util/rng.ts, Fisher-Yates), and cut into consecutive slices in the order the splits are given, so
 * one seed, one source split and one list of fractions always give the same splits, whatever the order of
 * the qrels file.
 *
 * Sizes (largest remainder, Hamilton's method): each split gets floor(fraction × n) queries; the queries
 * left over go one each to the splits with the largest fractional parts (fraction × n − floor), ties to
 * the split named first. Sizes therefore sum to n and differ from fraction × n by less than one.
 */
import { Rng } from '../util/rng';
import type { Dataset, Qrels } from './types';

export interface SplitPart {
  readonly name: string;
  readonly fraction: number;
}

/** A bad split request (fractions, names, the source split): the message says what to change. */
export class SplitError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SplitError';
  }
}

/** Fractions must sum to 1 within this tolerance. */
export const FRACTION_TOLERANCE = 1e-6;

/** A split name is a file stem: letters, digits, '_', '-', '.', starting with a letter or digit. */
const NAME = /^[A-Za-z0-9][\w.-]{0,63}$/;

/** "train:0.6,dev:0.2,test:0.2" -> parts (checked with checkParts). */
export function parseSplitSpec(spec: string): SplitPart[] {
  const parts = spec
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0)
    .map((item) => {
      const m = /^([^:]+):(.+)$/.exec(item);
      if (!m) throw new SplitError(`"${item}": expected <name>:<fraction>, e.g. train:0.6`);
      const fraction = Number(m[2].trim());
      if (!Number.isFinite(fraction))
        throw new SplitError(`"${item}": the fraction must be a number, got "${m[2].trim()}"`);
      return { name: m[1].trim(), fraction };
    });
  checkParts(parts);
  return parts;
}

/** Names valid and distinct, fractions positive and summing to 1 (within FRACTION_TOLERANCE). */
export function checkParts(parts: readonly SplitPart[]): void {
  if (parts.length < 2)
    throw new SplitError(`give at least two splits, e.g. train:0.8,test:0.2 (got ${parts.length})`);
  const seen = new Set<string>();
  for (const p of parts) {
    if (!NAME.test(p.name))
      throw new SplitError(
        `split name "${p.name}" is not a valid file stem: use letters, digits, '_', '-' or '.' (at most 64)`,
      );
    if (seen.has(p.name)) throw new SplitError(`split name "${p.name}" is given twice`);
    seen.add(p.name);
    if (!Number.isFinite(p.fraction) || p.fraction <= 0)
      throw new SplitError(`split "${p.name}": the fraction must be > 0, got ${p.fraction}`);
  }
  const sum = parts.reduce((s, p) => s + p.fraction, 0);
  if (Math.abs(sum - 1) > FRACTION_TOLERANCE)
    throw new SplitError(
      `the fractions sum to ${Number(sum.toFixed(9))}, not 1 (${parts.map((p) => `${p.name}:${p.fraction}`).join(', ')})`,
    );
}

/** Largest-remainder sizes of n items for these fractions (see the file comment). */
export function splitSizes(n: number, fractions: readonly number[]): number[] {
  const quotas = fractions.map((f) => f * n);
  const sizes = quotas.map((q) => Math.floor(q));
  let left = n - sizes.reduce((s, x) => s + x, 0);
  const order = quotas
    .map((q, i) => ({ i, rem: q - Math.floor(q) }))
    .sort((a, b) => b.rem - a.rem || a.i - b.i);
  for (let k = 0; left > 0; k = (k + 1) % order.length, left--) sizes[order[k].i]++;
  return sizes;
}

export interface QuerySplit {
  /** new split name -> its qrels (every judgement of its queries, grades as in the source) */
  splits: Record<string, Qrels>;
  /** new split name -> judged queries */
  sizes: Record<string, number>;
}

/** Deals the judged queries of `from` into `parts` (see the file comment). Nothing is changed in `ds`. */
export function splitQueries(
  ds: Dataset,
  from: string,
  parts: readonly SplitPart[],
  seed: number,
): QuerySplit {
  checkParts(parts);
  if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff)
    throw new SplitError(`the seed must be an integer in 0..4294967295, got ${seed}`);
  const source = ds.qrels[from];
  if (!source)
    throw new SplitError(
      `${ds.name} has no split "${from}" (its splits: ${Object.keys(ds.qrels).sort().join(', ') || 'none'})`,
    );
  const ids = [...source.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const sizes = splitSizes(
    ids.length,
    parts.map((p) => p.fraction),
  );
  const empty = parts.filter((_, i) => sizes[i] === 0);
  if (empty.length)
    throw new SplitError(
      `${ds.name}/${from} has ${ids.length} judged queries: ${empty
        .map((p) => `"${p.name}" (${p.fraction})`)
        .join(
          ', ',
        )} would get none; raise ${empty.length === 1 ? 'its fraction' : 'their fractions'} or use fewer splits`,
    );
  new Rng(seed).shuffle(ids);
  const out: QuerySplit = { splits: {}, sizes: {} };
  let at = 0;
  parts.forEach((p, i) => {
    const q: Qrels = new Map();
    const mine = ids.slice(at, at + sizes[i]).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    for (const id of mine) q.set(id, new Map(source.get(id)));
    at += sizes[i];
    out.splits[p.name] = q;
    out.sizes[p.name] = sizes[i];
  });
  return out;
}

/** Whether a split's name says it is for testing ("test", "Test-2", "med_test"): not a split to train on. */
export function isTestSplitName(name: string): boolean {
  return /(^|[^a-z])test([^a-z]|$)/i.test(name);
}

/** qrels as a BEIR TSV file: the header line, then one judgement per line in query order, docs as stored. */
export function formatQrelsTsv(q: Qrels): string {
  const lines = ['query-id\tcorpus-id\tscore'];
  for (const [qid, rel] of q) for (const [doc, grade] of rel) lines.push(`${qid}\t${doc}\t${grade}`);
  return lines.join('\n') + '\n';
}
