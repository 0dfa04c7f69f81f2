/**
 * Retrieval metrics with trec_eval semantics (as pytrec_eval and MTEB use them).
 *
 * Per query: hits sorted by score descending, ties broken by docId descending (string order, as
 * trec_eval's strcmp), cut at k. Gain for nDCG = qrel grade (grades <= 0 count 0), discount
 * log2(rank + 1), ideal DCG from the query's positive grades sorted descending and cut at k.
 * Binary measures count a doc relevant when its grade >= 1. MAP@k = sum of precision at each
 * relevant rank <= k, divided by the number of relevant docs. P@k divides by k whatever the list
 * length. Queries evaluated: those in the qrels with at least one judgement; a judged query the run
 * lacks, or one without relevant docs, scores 0 (trec_eval -c). Run queries not in the qrels are
 * ignored.
 */
import { CUTOFFS, MEASURES, type Hit, type MetricKey, type Run, type Scores } from './types';
import type { Qrels } from '../data/types';

/** trec_eval order: score descending, then docId descending. */
export function compareHits(a: Hit, b: Hit): number {
  if (a.score !== b.score) return b.score > a.score ? 1 : -1;
  return a.docId < b.docId ? 1 : a.docId > b.docId ? -1 : 0;
}

/** A copy of the hits in trec_eval order; a doc listed twice is an error (as in trec_eval). */
export function rankHits(hits: readonly Hit[], qid = '?'): Hit[] {
  const seen = new Set<string>();
  for (const h of hits) {
    if (seen.has(h.docId)) throw new Error(`run: query "${qid}" lists doc "${h.docId}" twice`);
    if (Number.isNaN(h.score)) throw new Error(`run: query "${qid}" doc "${h.docId}" has score NaN`);
    seen.add(h.docId);
  }
  return [...hits].sort(compareHits);
}

export function metricKey(measure: (typeof MEASURES)[number], k: number): MetricKey {
  return `${measure}@${k}`;
}

function zeroScores(cutoffs: readonly number[]): Scores {
  const s = {} as Scores;
  for (const m of MEASURES) for (const k of cutoffs) s[metricKey(m, k)] = 0;
  return s;
}

/** All measures at all cutoffs for one query; `ranked` must already be in trec_eval order. */
export function scoreQuery(
  ranked: readonly Hit[],
  judged: ReadonlyMap<string, number>,
  cutoffs: readonly number[],
): Scores {
  const scores = zeroScores(cutoffs);
  const ideal = [...judged.values()].filter((g) => g > 0).sort((a, b) => b - a);
  let numRel = 0;
  for (const g of judged.values()) if (g >= 1) numRel++;
  const maxK = Math.max(0, ...cutoffs);
  const depth = Math.min(ranked.length, maxK);
  // prefix sums over ranks 1..depth
  const dcg = new Float64Array(depth + 1);
  const relSoFar = new Float64Array(depth + 1);
  const apSum = new Float64Array(depth + 1);
  let firstRel = 0;
  for (let i = 0; i < depth; i++) {
    const grade = judged.get(ranked[i].docId) ?? 0;
    const rank = i + 1;
    dcg[rank] = dcg[i] + (grade > 0 ? grade / Math.log2(rank + 1) : 0);
    const rel = grade >= 1;
    relSoFar[rank] = relSoFar[i] + (rel ? 1 : 0);
    apSum[rank] = apSum[i] + (rel ? relSoFar[rank] / rank : 0);
    if (rel && firstRel === 0) firstRel = rank;
  }
  for (const k of cutoffs) {
    const d = Math.min(k, depth);
    let idcg = 0;
    for (let i = 0; i < Math.min(k, ideal.length); i++) idcg += ideal[i] / Math.log2(i + 2);
    scores[metricKey('ndcg', k)] = idcg > 0 ? dcg[d] / idcg : 0;
    scores[metricKey('map', k)] = numRel > 0 ? apSum[d] / numRel : 0;
    scores[metricKey('recall', k)] = numRel > 0 ? relSoFar[d] / numRel : 0;
    scores[metricKey('p', k)] = relSoFar[d] / k;
    scores[metricKey('mrr', k)] = firstRel > 0 && firstRel <= k ? 1 / firstRel : 0;
  }
  return scores;
}

export interface RunEvaluation {
  /** mean over the evaluated queries */
  readonly mean: Scores;
  readonly perQuery: Record<string, Scores>;
  /** number of evaluated queries (judged queries in the qrels) */
  readonly queries: number;
}

export function evaluateRun(run: Run, qrels: Qrels, cutoffs: readonly number[] = CUTOFFS): RunEvaluation {
  for (const k of cutoffs) {
    if (!Number.isInteger(k) || k < 1) throw new Error(`cutoff must be a positive integer, got ${k}`);
  }
  const mean = zeroScores(cutoffs);
  const perQuery: Record<string, Scores> = {};
  let n = 0;
  for (const [qid, judged] of qrels) {
    if (judged.size === 0) continue;
    const hits = run.get(qid);
    const s =
      hits && hits.length > 0 ? scoreQuery(rankHits(hits, qid), judged, cutoffs) : zeroScores(cutoffs);
    perQuery[qid] = s;
    n++;
  }
  const keys = Object.keys(mean) as MetricKey[];
  for (const key of keys) {
    let sum = 0;
    for (const qid in perQuery) sum += perQuery[qid][key];
    mean[key] = n > 0 ? sum / n : 0;
  }
  return { mean, perQuery, queries: n };
}
