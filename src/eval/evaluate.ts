import { countKnown } from '../data/fingerprint';
import type { Dataset } from '../data/types';
import { qrelsOf, qrelsWarnings } from '../data/qrels-check';
import type { Backend } from '../core/backend';
import type { Embedder } from '../models/types';
import { Bm25Index } from './bm25';
import { denseRun } from './dense';
import type { EmbeddingCache } from './embed-cache';
import { fuseRuns } from './hybrid';
import { DEFAULT_ALPHA, hybridLabel, type Fusion } from './hybrid-label';
import { evaluateRun } from './metrics';
import type { EvalReport, Run } from './types';

export type { EmbeddingCache } from './embed-cache';

export type Retriever =
  | { kind: 'bm25'; k1?: number; b?: number }
  | { kind: 'dense'; embedder: Embedder; backend: Backend; cache?: EmbeddingCache }
  | {
      kind: 'hybrid';
      embedder: Embedder;
      backend: Backend;
      cache?: EmbeddingCache;
      fusion: Fusion;
      /** wsum: the dense side's weight (default DEFAULT_ALPHA) */
      alpha?: number;
      k1?: number;
      b?: number;
    };

export interface Progress {
  phase: 'index' | 'embed-corpus' | 'embed-queries' | 'search' | 'score';
  done: number;
  total: number;
}

export interface EvaluateOptions {
  dataset: Dataset;
  split: string;
  retriever: Retriever;
  /** ranked list depth per query (default 1000) */
  depth?: number;
  signal?: AbortSignal;
  onProgress?: (p: Progress) => void;
}

/** "bm25" with the default parameters, else e.g. "bm25 k1=1.2 b=0.6", so runs stay distinguishable. */
export function bm25Label(k1 = 1.5, b = 0.75): string {
  return k1 === 1.5 && b === 0.75 ? 'bm25' : `bm25 k1=${k1} b=${b}`;
}

/** The run's retriever id: "bm25…", the model id, or "hybrid:<fusion>:<model id>" (src/eval/hybrid-label.ts). */
export function retrieverLabel(r: Retriever): string {
  if (r.kind === 'bm25') return bm25Label(r.k1, r.b);
  if (r.kind === 'dense') return r.embedder.id;
  const alpha = r.fusion === 'wsum' ? { alpha: r.alpha ?? DEFAULT_ALPHA } : {};
  return hybridLabel({ dense: r.embedder.id, fusion: r.fusion, ...alpha });
}

function throwIfAborted(signal?: AbortSignal): void {
  if (signal?.aborted) throw new DOMException('evaluation cancelled', 'AbortError');
}

/** Retrieves for every judged query of a split and scores the run with trec_eval semantics. */
export async function evaluate(opts: EvaluateOptions): Promise<{ report: EvalReport; run: Run }> {
  const { dataset, split, retriever, signal, onProgress } = opts;
  const depth = opts.depth ?? 1000;
  const qrels = qrelsOf(dataset, split);
  const warnings = qrelsWarnings(dataset, split);
  const queries = dataset.queries.filter((q) => qrels.has(q.id));
  const t0 = performance.now();
  const bm25 = async (k1 = 1.5, b = 0.75): Promise<Run> => {
    const index = Bm25Index.build(dataset.docs, { k1, b }, (done, total) =>
      onProgress?.({ phase: 'index', done, total }),
    );
    const out: Run = new Map();
    for (let i = 0; i < queries.length; i++) {
      if (i % 64 === 0) {
        throwIfAborted(signal);
        onProgress?.({ phase: 'search', done: i, total: queries.length });
        // let cancellation messages in between query batches
        await new Promise((r) => setTimeout(r, 0));
      }
      out.set(queries[i].id, index.search(queries[i].text, depth));
    }
    return out;
  };
  const dense = (r: Exclude<Retriever, { kind: 'bm25' }>) =>
    denseRun({
      dataset,
      queries,
      embedder: r.embedder,
      backend: r.backend,
      cache: r.cache,
      depth,
      signal,
      onProgress,
    });
  let run: Run;
  if (retriever.kind === 'bm25') run = await bm25(retriever.k1, retriever.b);
  else if (retriever.kind === 'dense') run = await dense(retriever);
  else {
    const denseSide = await dense(retriever);
    const bm25Side = await bm25(retriever.k1, retriever.b);
    run = fuseRuns(denseSide, bm25Side, {
      fusion: retriever.fusion,
      alpha: retriever.alpha ?? DEFAULT_ALPHA,
      depth,
    });
  }
  throwIfAborted(signal);
  onProgress?.({ phase: 'score', done: 0, total: 1 });
  const scored = evaluateRun(run, qrels);
  onProgress?.({ phase: 'score', done: 1, total: 1 });
  const trained = retriever.kind !== 'bm25' ? retriever.embedder.trainedQueries : undefined;
  const overlap =
    trained === undefined
      ? {}
      : {
          overlapQueries:
            trained === null
              ? null
              : countKnown(
                  queries.map((q) => q.text),
                  trained,
                ),
        };
  const report: EvalReport = {
    dataset: dataset.name,
    split,
    retriever: retrieverLabel(retriever),
    backend: retriever.kind === 'bm25' ? 'none' : retriever.backend.kind,
    metrics: scored.mean,
    perQuery: scored.perQuery,
    queries: scored.queries,
    ...overlap,
    ...(retriever.kind !== 'bm25'
      ? {
          queryTemplate: retriever.embedder.templates.query,
          instruction: retriever.embedder.prompt?.instruction ?? null,
        }
      : {}),
    seconds: (performance.now() - t0) / 1000,
    createdAt: new Date().toISOString(),
    ...(warnings.length > 0 ? { warnings } : {}),
  };
  return { report, run };
}
