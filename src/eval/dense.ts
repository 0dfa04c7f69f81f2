import type { Dataset, Query } from '../data/types';
import { NonFiniteError } from '../models/finite';
import type { Backend, TopK } from '../core/backend';
import { searchTopK } from '../kernels/search';
import { applyTemplate, type Embedder } from '../models/types';
import { corpusChunkKeyPrefix, type EmbeddingCache } from './embed-cache';
import type { Run } from './types';

export interface DenseProgress {
  phase: 'embed-corpus' | 'embed-queries' | 'search';
  done: number;
  total: number;
}

export interface DenseOptions {
  dataset: Dataset;
  queries: readonly Query[];
  embedder: Embedder;
  backend: Backend;
  depth: number;
  cache?: EmbeddingCache;
  /** documents per embedding chunk (the unit of caching and of resume) */
  chunkDocs?: number;
  signal?: AbortSignal;
  onProgress?: (p: DenseProgress) => void;
}

export const DEFAULT_CHUNK_DOCS = 256;
/** documents embedded between two progress reports inside a chunk */
export const PROGRESS_DOCS = 32;

function throwIfAborted(signal?: AbortSignal): void {
  if (signal?.aborted) throw new DOMException('evaluation cancelled', 'AbortError');
}

/**
 * Embeds the corpus chunk by chunk (reusing cached chunks, so a reload resumes). An adapter (`overBase`)
 * whose passages are templated as its base's takes the base's chunks and projects them.
 */
export async function embedCorpus(opts: DenseOptions): Promise<Float32Array> {
  const { dataset, embedder, backend, cache, signal, onProgress } = opts;
  const chunkDocs = opts.chunkDocs ?? DEFAULT_CHUNK_DOCS;
  const docs = dataset.docs;
  const out = new Float32Array(docs.length * embedder.dim);
  const tpl = embedder.templates.passage;
  // an adapter with its base's passage template: the base's corpus vectors (cached under the base's id,
  // shared with the base's own evaluations and every other adapter over it), projected chunk by chunk
  // (only through a chunk cache: without one, the adapter's own embed keeps its base vectors per text in
  // memory, which a re-score of the same corpus, as the Merge tab's sliders do, needs to stay fast)
  const via = cache && embedder.overBase?.base.templates.passage === tpl ? embedder.overBase : undefined;
  const source = via ? via.base : embedder;
  if (via && via.base.dim !== embedder.dim)
    throw new Error(
      `${embedder.id}: its base ${via.base.id} has dimension ${via.base.dim}, not ${embedder.dim}`,
    );
  const prefix = corpusChunkKeyPrefix(source.id, dataset, tpl);
  for (let start = 0, i = 0; start < docs.length; start += chunkDocs, i++) {
    throwIfAborted(signal);
    const slice = docs.slice(start, start + chunkDocs);
    const key = `${prefix}chunk${i}of${chunkDocs}`;
    let emb = await cache?.get(key);
    if (!emb || emb.length !== slice.length * source.dim) {
      const texts = slice.map((d) => applyTemplate(tpl, d));
      emb = new Float32Array(texts.length * source.dim);
      // a chunk is embedded in parts, so progress (and a cancel) is seen within it, not only at its end
      for (let s = 0; s < texts.length; s += PROGRESS_DOCS) {
        if (s > 0) throwIfAborted(signal);
        const part = await source
          .embed(backend, texts.slice(s, s + PROGRESS_DOCS), 'passage')
          .catch((e: unknown) => {
            throw e instanceof NonFiniteError ? e.naming(`document "${slice[s + e.text].id}"`) : e;
          });
        emb.set(part, s * source.dim);
        const end = Math.min(texts.length, s + PROGRESS_DOCS);
        if (end < texts.length)
          onProgress?.({ phase: 'embed-corpus', done: start + end, total: docs.length });
      }
      await cache?.put(key, emb);
    }
    if (via)
      emb = await via.project(backend, emb).catch((e: unknown) => {
        throw e instanceof NonFiniteError ? e.naming(`document "${slice[e.text].id}"`) : e;
      });
    out.set(emb, start * embedder.dim);
    onProgress?.({
      phase: 'embed-corpus',
      done: Math.min(docs.length, start + chunkDocs),
      total: docs.length,
    });
  }
  return out;
}

/** Dense exact retrieval: cosine (dot of L2-normalised embeddings) top-`depth` per query. */
export async function denseRun(opts: DenseOptions): Promise<Run> {
  const { dataset, queries, embedder, backend, signal, onProgress } = opts;
  const corpus = await embedCorpus(opts);
  throwIfAborted(signal);
  const qTexts = queries.map((q) => applyTemplate(embedder.templates.query, q));
  const qEmb = await embedder.embed(backend, qTexts, 'query').catch((e: unknown) => {
    throw e instanceof NonFiniteError ? e.naming(`query "${queries[e.text].id}"`) : e;
  });
  onProgress?.({ phase: 'embed-queries', done: queries.length, total: queries.length });
  const depth = Math.min(opts.depth, dataset.docs.length);
  const top = await searchTopK(backend, qEmb, corpus, embedder.dim, depth, {
    metric: 'dot',
    signal,
    onProgress: (done, total) => onProgress?.({ phase: 'search', done, total }),
  });
  return topKRun(dataset, queries, top);
}

/** A run from the top-k of each query's row (`0xffffffff` ends a short row). */
export function topKRun(dataset: Dataset, queries: readonly Query[], top: TopK): Run {
  const run: Run = new Map();
  queries.forEach((q, r) => {
    const hits = [];
    for (let j = 0; j < top.k; j++) {
      const idx = top.indices[r * top.k + j];
      if (idx === 0xffffffff) break;
      hits.push({ docId: dataset.docs[idx].id, score: top.scores[r * top.k + j] });
    }
    run.set(q.id, hits);
  });
  return run;
}
