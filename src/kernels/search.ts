/**
 * Streaming exact search: the corpus is uploaded in chunks of rows, each chunk is scored and reduced to
 * its top-k on the backend, and chunk results are merged exactly on the host (same tie rule, global
 * column indices). Queries are batched too when they alone would exceed the tensor limit.
 */
import { ShapeError, type Backend, type Metric, type Tensor, type TopK } from '../core/backend';
import { checkK, emptyTopK, mergeTopK } from './topk';

export interface SearchOptions {
  metric?: Metric;
  /** corpus rows per chunk; clamped so the chunk and its score matrix fit the backend */
  chunkRows?: number;
  signal?: AbortSignal;
  /** (corpus rows done, total) summed over query batches */
  onProgress?: (done: number, total: number) => void;
}

/** Elements one search allocation may use by default: 16M f32 = 64 MiB. */
export const SEARCH_BUDGET_ELEMENTS = 1 << 24;

export interface SearchPlan {
  queryRows: number;
  chunkRows: number;
}

/** Rows per query batch and per corpus chunk so that chunk [n,D], queries [q,D] and scores [q,n] all fit. */
export function planSearch(
  backend: Backend,
  Q: number,
  N: number,
  dim: number,
  chunkRows?: number,
): SearchPlan {
  const budget = Math.min(backend.maxTensorElements, SEARCH_BUDGET_ELEMENTS);
  if (dim > budget)
    throw new ShapeError('searchTopK', `one row of ${dim} dimensions exceeds the tensor budget of ${budget}`);
  const queryRows = Math.max(1, Math.min(Q, Math.floor(budget / dim)));
  const maxChunk = Math.max(1, Math.floor(budget / Math.max(dim, queryRows)));
  if (chunkRows !== undefined && (!Number.isInteger(chunkRows) || chunkRows < 1)) {
    throw new RangeError(`searchTopK: chunkRows must be a positive integer, got ${chunkRows}`);
  }
  return { queryRows, chunkRows: Math.max(1, Math.min(chunkRows ?? maxChunk, maxChunk, Math.max(N, 1))) };
}

interface InFlight {
  start: number;
  rows: number;
  result: Promise<TopK>;
}

/** Upload one chunk, enqueue its scores and top-k; the chunk tensors are released right away (the backend
 * orders later reuse of their storage after the enqueued work). */
function launchChunk(
  backend: Backend,
  qT: Tensor,
  rowsData: Float32Array,
  dim: number,
  k: number,
  metric: Metric,
  start: number,
): InFlight {
  const rows = rowsData.length / dim;
  const dT = backend.tensor(rowsData, [rows, dim]);
  let sT: Tensor | null = null;
  try {
    sT = backend.scores(qT, dT, metric);
    const result = backend.topK(sT, Math.min(k, rows));
    result.catch(() => undefined); // awaited later; avoid an unhandled rejection if we stop early
    return { start, rows, result };
  } finally {
    backend.dispose(dT, ...(sT ? [sT] : []));
  }
}

function abortError(): DOMException {
  return new DOMException('searchTopK was aborted', 'AbortError');
}

export async function searchTopK(
  backend: Backend,
  queries: Float32Array,
  corpus: Float32Array,
  dim: number,
  k: number,
  opts: SearchOptions = {},
): Promise<TopK> {
  checkK(k);
  if (!Number.isInteger(dim) || dim < 1)
    throw new ShapeError('searchTopK', `dim must be a positive integer, got ${dim}`);
  if (queries.length % dim)
    throw new ShapeError('searchTopK', `queries length ${queries.length} is not a multiple of dim ${dim}`);
  if (corpus.length % dim)
    throw new ShapeError('searchTopK', `corpus length ${corpus.length} is not a multiple of dim ${dim}`);
  const metric = opts.metric ?? 'cosine';
  const Q = queries.length / dim;
  const N = corpus.length / dim;
  const { signal, onProgress } = opts;
  if (signal?.aborted) throw abortError();
  const result = emptyTopK(Q, k);
  if (Q === 0 || N === 0) return result;
  const plan = planSearch(backend, Q, N, dim, opts.chunkRows);
  const batches = Math.ceil(Q / plan.queryRows);
  let done = 0;
  for (let qb = 0; qb < batches; qb++) {
    const q0 = qb * plan.queryRows;
    const qn = Math.min(plan.queryRows, Q - q0);
    const qT = backend.tensor(queries.subarray(q0 * dim, (q0 + qn) * dim), [qn, dim]);
    let best: TopK = emptyTopK(qn, k);
    // One chunk in flight: chunk i+1 is uploaded and enqueued before chunk i's top-k is awaited.
    let pending: InFlight | null = null;
    const settle = async (c: InFlight) => {
      best = mergeTopK(best, await c.result, k, c.start);
      done += c.rows;
      onProgress?.(done, N * batches);
    };
    try {
      for (let start = 0; start < N; start += plan.chunkRows) {
        if (signal?.aborted) throw abortError();
        const rows = Math.min(plan.chunkRows, N - start);
        const next = launchChunk(
          backend,
          qT,
          corpus.subarray(start * dim, (start + rows) * dim),
          dim,
          k,
          metric,
          start,
        );
        if (pending) await settle(pending);
        pending = next;
      }
      if (pending) await settle(pending);
    } finally {
      backend.dispose(qT);
    }
    if (signal?.aborted) throw abortError();
    result.scores.set(best.scores, q0 * k);
    result.indices.set(best.indices, q0 * k);
  }
  return result;
}
