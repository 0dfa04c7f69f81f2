/** What the search view derives from a result: the best-so-far curve, the best single model on dev. */
import type { MergeSearchResult, MergeSearchTrial } from '../../../worker/features/merge-search/protocol';

/** The best objective after each trial (a non-decreasing curve). */
export function bestSoFar(trials: readonly MergeSearchTrial[]): number[] {
  const out: number[] = [];
  let best = -Infinity;
  for (const t of trials) out.push((best = Math.max(best, t.objective)));
  return out;
}

const mean = (s: Record<string, number>) => {
  const v = Object.values(s);
  return v.reduce((a, b) => a + b, 0) / v.length;
};

/** The best single model (base or one expert) on the dev pools, by the same objective as the search. */
export function bestReference(r: MergeSearchResult): { model: string; objective: number } | null {
  let best: { model: string; objective: number } | null = null;
  for (const x of r.reference) {
    const o = mean(x.scores);
    if (!best || o > best.objective) best = { model: x.model, objective: o };
  }
  return best;
}
