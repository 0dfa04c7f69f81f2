/**
 * A dev pool: the judged documents of a split's queries plus the union of every given model's top-k
 * candidates for them (the base's and each expert's), built once. Scoring a model on the pool ranks only
 * those documents, so a merge whose corpus embeddings change (LoRA) is re-scored in a fraction of the
 * corpus's time. A pool figure is an estimate of the full figure: documents no model ranked in its top-k
 * (and nobody judged) are left out, which can only flatter a model that would have ranked them high.
 */
import type { Backend } from '../core/backend';
import { qrelsOf } from '../data/qrels-check';
import type { Dataset, Doc, Qrels, Query } from '../data/types';
import { MAX_K } from '../kernels/topk';
import type { Embedder } from '../models/types';
import { denseRun } from './dense';
import type { EmbeddingCache } from './embed-cache';
import { evaluate } from './evaluate';
import type { EvalReport } from './types';

export interface DevPool {
  /** "<dataset>/<split>" */
  label: string;
  dataset: string;
  split: string;
  k: number;
  queries: Query[];
  docs: Doc[];
  qrels: Qrels;
  /** the ids of the models whose top-k built the pool */
  models: string[];
}

export interface DevPoolOptions {
  dataset: Dataset;
  split: string;
  /** the base and every expert: their top-k candidates join the pool */
  embedders: readonly Embedder[];
  backend: Backend;
  /** candidates per query and model (default 100) */
  k?: number;
  /** corpus embeddings cache (each model's full-corpus pass is what a pool costs once) */
  cache?: EmbeddingCache;
  signal?: AbortSignal;
  onProgress?: (model: number, models: number) => void;
}

export const DEFAULT_POOL_K = 100;

export async function buildDevPool(opts: DevPoolOptions): Promise<DevPool> {
  const { dataset, split, backend } = opts;
  const k = opts.k ?? DEFAULT_POOL_K;
  if (!Number.isInteger(k) || k < 1) throw new RangeError(`dev pool: k must be a positive integer, got ${k}`);
  const qrels = qrelsOf(dataset, split);
  const queries = dataset.queries.filter((q) => qrels.has(q.id));
  const ids = new Set<string>();
  for (const judged of qrels.values()) for (const d of judged.keys()) ids.add(d);
  for (const [i, embedder] of opts.embedders.entries()) {
    opts.onProgress?.(i, opts.embedders.length);
    const run = await denseRun({
      dataset,
      queries,
      embedder,
      backend,
      depth: k,
      cache: opts.cache,
      signal: opts.signal,
    });
    for (const hits of run.values()) for (const h of hits) ids.add(h.docId);
  }
  opts.onProgress?.(opts.embedders.length, opts.embedders.length);
  const docs = dataset.docs.filter((d) => ids.has(d.id));
  return {
    label: `${dataset.name}/${split}`,
    dataset: dataset.name,
    split,
    k,
    queries,
    docs,
    qrels,
    models: opts.embedders.map((e) => e.id),
  };
}

/** The pool as a small dataset (its one split is the pool's split). */
export function poolDataset(pool: DevPool): Dataset {
  return {
    name: `${pool.dataset}#pool-${pool.split}-k${pool.k}`,
    docs: pool.docs,
    queries: pool.queries,
    qrels: { [pool.split]: pool.qrels },
  };
}

/** How deep a pool run ranks by default: nDCG@10 and every metric up to @100 are exact on the pool. */
export const POOL_DEPTH = 100;

/**
 * Scores `embedder` on the pool with trec_eval semantics, ranking the pool's documents to `depth`
 * (default POOL_DEPTH: a slider move stays interactive; metrics past @depth are not comparable to a
 * full evaluation's). No corpus cache is used: a merge is a new model each time (an adapter embedder
 * keeps its own cache of base vectors).
 */
export async function scoreOnPool(
  pool: DevPool,
  embedder: Embedder,
  backend: Backend,
  signal?: AbortSignal,
  depth = POOL_DEPTH,
): Promise<EvalReport> {
  const { report } = await evaluate({
    dataset: poolDataset(pool),
    split: pool.split,
    retriever: { kind: 'dense', embedder, backend },
    // the top-k kernel ranks at most MAX_K (1024) per query
    depth: Math.min(pool.docs.length, depth, MAX_K),
    signal,
  });
  return report;
}
