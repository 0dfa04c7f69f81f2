/**
 * Hybrid retrieval: one query's BM25 list and dense list fused into one ranking (the retriever ids are in
 * src/eval/hybrid-label.ts). Both lists are taken to the evaluation depth and the fused list is cut there.
 *
 * rrf: score(d) = Σ 1 / (k + rank(d)) over the lists holding d, k = 60, ranks 1-based in trec_eval order
 *   (score descending, ties by docId descending: src/eval/metrics.ts), so tied scores get distinct ranks
 *   exactly as the metrics see them. A doc missing from a list gets nothing from it.
 * wsum: score(d) = α · minmax(dense)(d) + (1 − α) · minmax(bm25)(d), minmax(s) = (s − min) / (max − min)
 *   over the list's own hits. A doc missing from a list counts as that list's minimum, i.e. 0 after
 *   normalisation (the list did not retrieve it: it is no better than the list's worst). A list whose hits
 *   all score the same normalises them to 1 (each is that list's best; an unlisted doc still gets 0). A list
 *   with weight 0 adds no docs of its own, so α = 0 is exactly BM25's ranking and α = 1 the dense one.
 */
import { RRF_K, type Fusion } from './hybrid-label';
import { compareHits, rankHits } from './metrics';
import type { Hit, Run } from './types';

export interface FusionOptions {
  fusion: Fusion;
  /** wsum: the dense side's weight in [0, 1] */
  alpha: number;
  /** the fused list's length */
  depth: number;
  /** rrf's k (default RRF_K = 60) */
  k?: number;
}

/** Reciprocal-rank fusion of ranked lists (any order in; ranked here with trec_eval's rules). */
export function rrfScores(lists: readonly (readonly Hit[])[], k = RRF_K, qid = '?'): Map<string, number> {
  const out = new Map<string, number>();
  for (const list of lists) {
    rankHits(list, qid).forEach((h, i) => out.set(h.docId, (out.get(h.docId) ?? 0) + 1 / (k + i + 1)));
  }
  return out;
}

/** Min-max normalised scores of one list (all equal: 1 each). */
export function minMax(hits: readonly Hit[]): Map<string, number> {
  let lo = Infinity;
  let hi = -Infinity;
  for (const h of hits) {
    if (!Number.isFinite(h.score)) throw new Error(`hybrid: doc "${h.docId}" has score ${h.score}`);
    lo = Math.min(lo, h.score);
    hi = Math.max(hi, h.score);
  }
  const range = hi - lo;
  return new Map(hits.map((h) => [h.docId, range > 0 ? (h.score - lo) / range : 1]));
}

/** α · minmax(dense) + (1 − α) · minmax(bm25); a list with weight 0 contributes no docs. */
export function wsumScores(dense: readonly Hit[], bm25: readonly Hit[], alpha: number): Map<string, number> {
  if (!(alpha >= 0 && alpha <= 1)) throw new Error(`hybrid: alpha must be in [0, 1], got ${alpha}`);
  const out = new Map<string, number>();
  const add = (hits: readonly Hit[], w: number) => {
    if (w === 0) return;
    rankHits(hits); // a doc listed twice is an error, as everywhere else
    for (const [id, s] of minMax(hits)) out.set(id, (out.get(id) ?? 0) + w * s);
  };
  add(dense, alpha);
  add(bm25, 1 - alpha);
  return out;
}

/** One query's fused list, in trec_eval order, cut at `depth`. */
export function fuseHits(dense: readonly Hit[], bm25: readonly Hit[], opts: FusionOptions, qid = '?'): Hit[] {
  const cut = (xs: readonly Hit[]) => rankHits(xs, qid).slice(0, opts.depth);
  const d = cut(dense);
  const b = cut(bm25);
  const scores =
    opts.fusion === 'rrf' ? rrfScores([d, b], opts.k ?? RRF_K, qid) : wsumScores(d, b, opts.alpha);
  return [...scores]
    .map(([docId, score]) => ({ docId, score }))
    .sort(compareHits)
    .slice(0, opts.depth);
}

/** Every query of the dense run fused with its BM25 list (a query BM25 found nothing for keeps the dense list's docs). */
export function fuseRuns(dense: Run, bm25: Run, opts: FusionOptions): Run {
  const out: Run = new Map();
  const qids = new Set([...dense.keys(), ...bm25.keys()]);
  for (const qid of qids) out.set(qid, fuseHits(dense.get(qid) ?? [], bm25.get(qid) ?? [], opts, qid));
  return out;
}
