/**
 * Which figure is which in the Merge panel: per task (dev pool) and per domain average, the merge's nDCG@10,
 * the base's and the best single expert's on the same pools, the changes against both, and the spread over
 * seeds of DARE / DELLA. Pure functions of a merge-score result.
 */
import type { MergeScoreResult, PoolRef } from '../../worker/features/merge/protocol';
import { groupOf, guessGroup } from '../../data/group';
import type { DatasetMeta } from '../../store/db';
import type { Domain } from './merge-types';

/** dataset name -> its group as stored with the dataset (src/data/group.ts; the Data tab changes it) */
export function datasetDomains(datasets: readonly DatasetMeta[]): Record<string, Domain> {
  return Object.fromEntries(datasets.map((d) => [d.name, groupOf(d)]));
}

/** A dataset's domain: its stored group, else (a dataset not listed) the guess on its name. */
export const domainOf = (dataset: string, groups: Record<string, Domain>): Domain =>
  groups[dataset] ?? guessGroup(dataset);

export interface Spread {
  mean: number;
  min: number;
  max: number;
  seeds: number;
}

/** One line of the figures: a task's or a group's nDCG@10. */
export interface FigureRow {
  /** "demo/test", or "medical average" … */
  label: string;
  kind: 'task' | 'average';
  /** tasks in it (1 for a task row) */
  tasks: number;
  merged: number;
  base: number;
  /** the single expert with the highest figure on this row (over the same tasks), or null without experts */
  best: { id: string; value: number } | null;
  /** merged − base */
  dBase: number;
  /** merged − best single expert */
  dBest: number | null;
  spread: Spread | null;
  /** a task row's pool: "dev pool (k=100, 412 of 3,232 docs)" */
  pool?: { k: number; docs: number; corpus: number; queries: number };
}

const mean = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

function spreadOf(values: readonly number[]): Spread {
  return { mean: mean(values), min: Math.min(...values), max: Math.max(...values), seeds: values.length };
}

/** The rows over a set of task indices: the merge, the base, the best expert, the spread. */
function row(
  label: string,
  kind: FigureRow['kind'],
  idx: readonly number[],
  r: MergeScoreResult,
  experts: readonly string[],
): FigureRow {
  const at = (f: (i: number) => number) => mean(idx.map(f));
  const merged = at((i) => r.merged[i]['ndcg@10']);
  const base = at((i) => r.pools[i].base['ndcg@10']);
  let best: FigureRow['best'] = null;
  for (const id of experts) {
    if (idx.some((i) => !r.pools[i].experts[id])) continue;
    const v = at((i) => r.pools[i].experts[id]['ndcg@10']);
    if (!best || v > best.value) best = { id, value: v };
  }
  const spread = r.spread
    ? spreadOf(r.spread.ndcg10.map((perPool) => mean(idx.map((i) => perPool[i]))))
    : null;
  return {
    label,
    kind,
    tasks: idx.length,
    merged,
    base,
    best,
    dBase: merged - base,
    dBest: best ? merged - best.value : null,
    spread,
  };
}

/**
 * Task rows (one per pool, in order) and the medical / general / all averages (a group without tasks is
 * left out; "all" only when both domains are there). `experts`: the ids the merge is made of.
 */
export function mergeFigures(
  r: MergeScoreResult,
  domains: Record<string, Domain>,
  experts: readonly string[],
): { tasks: FigureRow[]; averages: FigureRow[] } {
  const tasks = r.pools.map((p, i) => ({
    ...row(`${p.dataset}/${p.split}`, 'task', [i], r, experts),
    pool: { k: p.k, docs: p.docs, corpus: p.corpus, queries: p.queries },
  }));
  const idx = (d: Domain) => r.pools.flatMap((p, i) => (domainOf(p.dataset, domains) === d ? [i] : []));
  const med = idx('medical');
  const gen = idx('general');
  const averages: FigureRow[] = [];
  if (med.length) averages.push(row('medical average', 'average', med, r, experts));
  if (gen.length) averages.push(row('general average', 'average', gen, r, experts));
  if (med.length && gen.length)
    averages.push(
      row(
        'all tasks average',
        'average',
        [...med, ...gen].sort((a, b) => a - b),
        r,
        experts,
      ),
    );
  return { tasks, averages };
}

/** The seeds a stochastic method's spread is scored at: the recipe's and the next four. */
export function spreadSeeds(seed: number): number[] {
  return [0, 1, 2, 3, 4].map((d) => (seed + d) >>> 0);
}

/** "dev pool (k=100, 412 of 3,232 docs)" */
export function poolLabel(p: { k: number; docs: number; corpus: number }): string {
  return `dev pool (k=${p.k}, ${p.docs.toLocaleString('en-US')} of ${p.corpus.toLocaleString('en-US')} docs)`;
}

export const sameRef = (a: PoolRef, b: PoolRef) => a.dataset === b.dataset && a.split === b.split;
