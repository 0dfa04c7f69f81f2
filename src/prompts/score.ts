/**
 * Scoring one instruction on a set of judged queries: the queries re-embedded under the instruction
 * (withInstruction), exact top-k against a corpus embedded once (searchTopK), per-query nDCG@10 with the
 * trec_eval-exact metrics (evaluateRun). `scorePrompt` does it for a whole split.
 */
import type { Backend } from '../core/backend';
import { qrelsOf } from '../data/qrels-check';
import type { Dataset, Qrels, Query } from '../data/types';
import { embedCorpus, topKRun } from '../eval/dense';
import type { EmbeddingCache } from '../eval/embed-cache';
import { evaluateRun } from '../eval/metrics';
import { searchTopK } from '../kernels/search';
import { NonFiniteError } from '../models/finite';
import { applyTemplate, type Embedder } from '../models/types';
import { bootstrapCI } from './bootstrap';
import { withInstruction } from './template';

/** ranked list depth, as evaluate()'s default: the same ties, so the same figures */
export const SCORE_DEPTH = 1000;
/** queries per embed call (a cancel is seen between them) */
export const QUERY_BATCH = 32;

export const abortError = (what = 'prompt search cancelled') => new DOMException(what, 'AbortError');
export function throwIfAborted(signal?: AbortSignal): void {
  if (signal?.aborted) throw abortError();
}

/** The judged queries of a split that have text, in the dataset's order. */
export function judgedQueries(dataset: Dataset, qrels: Qrels): Query[] {
  return dataset.queries.filter((q) => (qrels.get(q.id)?.size ?? 0) > 0);
}

export interface QueryScores {
  /** nDCG@10 per query, aligned with the queries given */
  ndcg: number[];
  /** the top-ranked document's index per query (-1: none) */
  top: number[];
}

export interface ScoreQueriesOptions {
  embedder: Embedder;
  backend: Backend;
  dataset: Dataset;
  /** the corpus embedded by `embedder` (embedCorpus), [docs × dim] */
  corpus: Float32Array;
  qrels: Qrels;
  instruction: string | null;
  queries: readonly Query[];
  signal?: AbortSignal;
  /** after each embed call: queries embedded so far */
  onEmbedded?: (done: number) => void;
}

/** Per-query nDCG@10 of `queries` with their text under `instruction`. */
export async function scoreQueries(o: ScoreQueriesOptions): Promise<QueryScores> {
  const { backend, dataset, queries, signal } = o;
  const e = withInstruction(o.embedder, o.instruction);
  const dim = e.dim;
  const qEmb = new Float32Array(queries.length * dim);
  for (let s = 0; s < queries.length; s += QUERY_BATCH) {
    throwIfAborted(signal);
    const part = queries.slice(s, s + QUERY_BATCH);
    const emb = await e
      .embed(
        backend,
        part.map((q) => applyTemplate(e.templates.query, q)),
        'query',
      )
      .catch((err: unknown) => {
        throw err instanceof NonFiniteError ? err.naming(`query "${part[err.text].id}"`) : err;
      });
    qEmb.set(emb, s * dim);
    o.onEmbedded?.(Math.min(queries.length, s + QUERY_BATCH));
  }
  throwIfAborted(signal);
  const depth = Math.min(SCORE_DEPTH, dataset.docs.length);
  const found = await searchTopK(backend, qEmb, o.corpus, dim, Math.max(1, depth), { metric: 'dot', signal });
  const run = topKRun(dataset, queries, found);
  const judged: Qrels = new Map(queries.map((q) => [q.id, o.qrels.get(q.id) ?? new Map()]));
  const top = queries.map((q, r) => (run.get(q.id)!.length ? found.indices[r * found.k] : -1));
  const scored = evaluateRun(run, judged, [10]);
  return { ndcg: queries.map((q) => scored.perQuery[q.id]?.['ndcg@10'] ?? 0), top };
}

export interface ScorePromptOptions {
  embedder: Embedder;
  backend: Backend;
  dataset: Dataset;
  split: string;
  instruction: string | null;
  cache?: EmbeddingCache;
  signal?: AbortSignal;
  /** the bootstrap's seed (default 42) */
  seed?: number;
}

export interface PromptFigure {
  /** mean nDCG@10 over the split's judged queries (a judged query without text scores 0, as in evaluate) */
  ndcg10: number;
  ci: [number, number];
  queries: number;
  perQuery: Record<string, number>;
}

/** One instruction on a whole split (the winner's test score; no search). */
export async function scorePrompt(o: ScorePromptOptions): Promise<PromptFigure> {
  const qrels = qrelsOf(o.dataset, o.split);
  const corpus = await embedCorpus({
    dataset: o.dataset,
    queries: [],
    embedder: o.embedder,
    backend: o.backend,
    depth: SCORE_DEPTH,
    cache: o.cache,
    signal: o.signal,
  });
  const queries = judgedQueries(o.dataset, qrels);
  const s = await scoreQueries({ ...o, corpus, qrels, queries });
  const byId = new Map(queries.map((q, i) => [q.id, s.ndcg[i]]));
  // in qrels order, as evaluateRun builds and sums them (so the mean is evaluate()'s to the last bit);
  // judged queries the dataset has no text for score 0 (trec_eval -c, as evaluate() counts them)
  const perQuery: Record<string, number> = {};
  for (const [qid, g] of qrels) if (g.size > 0) perQuery[qid] = byId.get(qid) ?? 0;
  let sum = 0;
  let n = 0;
  for (const qid in perQuery) {
    sum += perQuery[qid];
    n++;
  }
  const ndcg10 = n > 0 ? sum / n : 0;
  return { ndcg10, ci: bootstrapCI(Object.values(perQuery), o.seed ?? 42), queries: n, perQuery };
}
