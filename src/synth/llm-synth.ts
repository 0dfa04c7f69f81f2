/**
 * The LLM tasks over a whole corpus or item set, on the concurrency-limited batch runner: at most
 * `concurrency` requests in flight, progress after each, cancel, and per-item errors returned beside the
 * items (a failed document or item does not stop the rest; a wrong key or unknown model does).
 */
import { normaliseQuery } from './text';
import type { Doc } from '../data/types';
import type { Embedder } from '../models/types';
import { runBatch, type BatchProgress } from './batch';
import type { TextGenerator } from './generator';
import { writeNegative, type NegativeGuardOptions, type NegativeRejection } from './llm-negatives';
import { writeQueries, type TaskSampling } from './llm-tasks';
import { ChatRequestError } from './openai';
import type { SynthItem } from './types';

export interface LlmBatchOptions {
  /** most requests in flight (default 4) */
  concurrency?: number;
  sampling?: Partial<TaskSampling>;
  signal?: AbortSignal;
  onProgress?: (p: BatchProgress) => void;
  now?: () => Date;
}

/** A document or item the batch could not do, and why. */
export interface LlmItemError {
  /** the document id (queries) or item id (negatives) */
  id: string;
  message: string;
}

export interface LlmBatchResult {
  items: SynthItem[];
  errors: LlmItemError[];
  cancelled: boolean;
  /** the error that stopped the batch early (every other request would have failed the same way) */
  stoppedBy?: string;
}

/** An error every other request would repeat: the batch stops on it. */
export function isFatalLlmError(e: unknown): boolean {
  return e instanceof ChatRequestError && e.kind === 'http' && [401, 403, 404].includes(e.status ?? 0);
}

/**
 * k queries for each document (items `${docId}#llm-${j}`, in document order); a query another document
 * already got is dropped (counted in `duplicates`).
 */
export async function llmQueryItems(
  docs: readonly Doc[],
  generator: TextGenerator,
  opts: LlmBatchOptions & { k: number; set: string; maxDocChars?: number },
): Promise<LlmBatchResult & { duplicates: number }> {
  if (!Number.isInteger(opts.k) || opts.k < 1)
    throw new Error(`queries per document must be ≥ 1, got ${opts.k}`);
  const r = await runBatch(
    docs,
    (doc, _i, signal) =>
      writeQueries(generator, doc, {
        k: opts.k,
        set: opts.set,
        sampling: opts.sampling,
        maxDocChars: opts.maxDocChars,
        signal,
        now: opts.now,
      }),
    {
      concurrency: opts.concurrency ?? 4,
      signal: opts.signal,
      onProgress: opts.onProgress,
      fatal: isFatalLlmError,
    },
  );
  // the same query for two documents would be a false in-batch negative: the first document keeps it
  const seen = new Set<string>();
  let duplicates = 0;
  const items = r.values
    .flatMap((v) => v?.items ?? [])
    .filter((it) => {
      const key = normaliseQuery(it.query);
      if (!seen.has(key)) return seen.add(key);
      duplicates++;
      return false;
    });
  return {
    items,
    duplicates,
    errors: r.failures.map((f) => ({ id: docs[f.index].id, message: f.message })),
    cancelled: r.cancelled,
    ...(r.stoppedBy ? { stoppedBy: r.stoppedBy.message } : {}),
  };
}

export interface LlmNegativesResult extends LlmBatchResult {
  /** written negatives the guard refused (their items are returned without them) */
  rejected: NegativeRejection[];
  /** how many items got a written negative */
  written: number;
}

/** Serialises an embedder's calls: the batch's requests run concurrently, the backend one at a time. */
function serialEmbedder(e: Embedder): Embedder {
  let chain: Promise<unknown> = Promise.resolve();
  return {
    id: e.id,
    dim: e.dim,
    templates: e.templates,
    embed(backend, texts, role) {
      const p = chain.then(() => e.embed(backend, texts, role));
      chain = p.catch(() => undefined);
      return p;
    },
  };
}

/**
 * One written hard negative per item (the paper's prompt, with the item's first mined negative when it
 * has one), guarded against near-copies of the positive. Every input item comes back, in order: with the
 * negative appended when it was written and accepted, unchanged otherwise.
 */
export async function llmNegatives(
  items: readonly SynthItem[],
  generator: TextGenerator,
  opts: LlmBatchOptions & { guard?: NegativeGuardOptions } = {},
): Promise<LlmNegativesResult> {
  const guard = opts.guard?.embedder
    ? { ...opts.guard, embedder: serialEmbedder(opts.guard.embedder) }
    : opts.guard;
  const r = await runBatch(
    items,
    (item, _i, signal) =>
      writeNegative(generator, item, { sampling: opts.sampling, guard, signal, now: opts.now }),
    {
      concurrency: opts.concurrency ?? 4,
      signal: opts.signal,
      onProgress: opts.onProgress,
      fatal: isFatalLlmError,
    },
  );
  const rejected: NegativeRejection[] = [];
  let written = 0;
  const out = items.map((item, i) => {
    const v = r.values[i];
    if (v?.rejected) rejected.push(v.rejected);
    if (!v?.negative) return item;
    written++;
    return { ...item, negatives: [...item.negatives, v.negative] };
  });
  return {
    items: out,
    written,
    rejected,
    errors: r.failures.map((f) => ({ id: items[f.index].id, message: f.message })),
    cancelled: r.cancelled,
    ...(r.stoppedBy ? { stoppedBy: r.stoppedBy.message } : {}),
  };
}
