/**
 * Which points the Explorer shows for a split: every judged query (up to a third of the cap), then the
 * documents — the whole corpus when it fits under the cap, else the queries' relevant documents, their
 * judged non-relevant ones, then a seeded random draw of the rest. The sample does not depend on the
 * model, so switching models moves the same points.
 */
import { qrelsOf } from '../data/qrels-check';
import type { Dataset, Query } from '../data/types';
import { Rng } from '../util/rng';

export interface ExplorerSample {
  queries: Query[];
  /** indices into dataset.docs, ascending */
  docs: number[];
  /** every document of the corpus is in the sample */
  wholeCorpus: boolean;
}

export const DEFAULT_MAX_POINTS = 1500;

export function explorerSample(ds: Dataset, split: string, maxPoints: number, seed: number): ExplorerSample {
  const qrels = qrelsOf(ds, split);
  const rng = new Rng(seed);
  let queries = ds.queries.filter((q) => (qrels.get(q.id)?.size ?? 0) > 0);
  const maxQueries = Math.max(1, Math.floor(maxPoints / 3));
  if (queries.length > maxQueries) {
    const keep = new Set(rng.shuffle(queries.map((q) => q.id)).slice(0, maxQueries));
    queries = queries.filter((q) => keep.has(q.id));
  }
  const budget = maxPoints - queries.length;
  if (ds.docs.length <= budget) return { queries, docs: ds.docs.map((_, i) => i), wholeCorpus: true };
  const index = new Map(ds.docs.map((d, i) => [d.id, i] as const));
  const relevant = new Set<number>();
  const judged = new Set<number>();
  for (const q of queries)
    for (const [id, grade] of qrels.get(q.id) ?? []) {
      const i = index.get(id);
      if (i !== undefined) (grade > 0 ? relevant : judged).add(i);
    }
  const chosen = new Set<number>();
  const take = (pool: number[]) => {
    for (const i of rng.shuffle(pool)) {
      if (chosen.size >= budget) return;
      chosen.add(i);
    }
  };
  take([...relevant]);
  take([...judged].filter((i) => !relevant.has(i)));
  take(ds.docs.map((_, i) => i).filter((i) => !chosen.has(i)));
  return { queries, docs: [...chosen].sort((a, b) => a - b), wholeCorpus: false };
}
