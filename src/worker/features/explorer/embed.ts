/** The Explorer's embeddings: the whole corpus through the evaluation's chunk cache when it is shown whole or
 * already cached, else only the sampled documents (cached as one entry beside the chunks); then the queries. */
import type { Backend } from '../../../core/backend';
import type { Dataset, Query } from '../../../data/types';
import { DEFAULT_CHUNK_DOCS, embedCorpus } from '../../../eval/dense';
import { corpusChunkKeyPrefix, type EmbeddingCache } from '../../../eval/embed-cache';
import type { ExplorerSample } from '../../../explore/sample';
import { applyTemplate, type Embedder } from '../../../models/types';
import type { JobCtx } from '../feature';

export interface ExplorerEmbeddings {
  /** rows of the sample's documents */
  docs: Float32Array;
  /** rows to search the top 10 in, and the dataset index of each */
  searchRows: Float32Array;
  searchIndex: readonly number[];
  queries: Float32Array;
  scope: 'corpus' | 'sample';
}

/** Whether every corpus chunk of this model is in the cache (an evaluation embedded it). */
async function corpusCached(ds: Dataset, e: Embedder, cache: EmbeddingCache): Promise<boolean> {
  const prefix = corpusChunkKeyPrefix(e.id, ds, e.templates.passage);
  const chunks = Math.ceil(ds.docs.length / DEFAULT_CHUNK_DOCS);
  for (let i = 0; i < chunks; i++)
    if (!(await cache.get(`${prefix}chunk${i}of${DEFAULT_CHUNK_DOCS}`))) return false;
  return true;
}

/** documents embedded between two progress reports (and cancel checks) */
const PART = 32;

/** The sampled documents' rows, cached under the corpus prefix and a hash of the sample's indices. */
async function sampleRows(
  ds: Dataset,
  idx: readonly number[],
  e: Embedder,
  backend: Backend,
  cache: EmbeddingCache,
  ctx: JobCtx,
): Promise<Float32Array> {
  let h = 0x811c9dc5;
  for (const i of idx) h = Math.imul(h ^ i, 0x01000193);
  const key = `${corpusChunkKeyPrefix(e.id, ds, e.templates.passage)}sample${idx.length}x${(h >>> 0).toString(16)}`;
  const hit = await cache.get(key);
  if (hit && hit.length === idx.length * e.dim) return hit;
  const out = new Float32Array(idx.length * e.dim);
  for (let s = 0; s < idx.length; s += PART) {
    if (ctx.signal.aborted) throw new DOMException('explorer cancelled', 'AbortError');
    const texts = idx.slice(s, s + PART).map((i) => applyTemplate(e.templates.passage, ds.docs[i]));
    out.set(await e.embed(backend, texts, 'passage'), s * e.dim);
    ctx.progress('embed-corpus', Math.min(idx.length, s + PART), idx.length);
  }
  await cache.put(key, out);
  return out;
}

function rowsOf(all: Float32Array, idx: readonly number[], dim: number): Float32Array {
  const out = new Float32Array(idx.length * dim);
  idx.forEach((i, r) => out.set(all.subarray(i * dim, (i + 1) * dim), r * dim));
  return out;
}

export async function explorerEmbeddings(
  ds: Dataset,
  sample: ExplorerSample,
  e: Embedder,
  backend: Backend,
  cache: EmbeddingCache,
  ctx: JobCtx,
): Promise<ExplorerEmbeddings> {
  const { signal } = ctx;
  let out: Omit<ExplorerEmbeddings, 'queries'>;
  if (sample.wholeCorpus || (await corpusCached(ds, e, cache))) {
    const corpus = await embedCorpus({
      dataset: ds,
      queries: [],
      embedder: e,
      backend,
      cache,
      depth: 10,
      signal,
      onProgress: (p) => ctx.progress('embed-corpus', p.done, p.total),
    });
    const all = ds.docs.map((_, i) => i);
    const docs = sample.wholeCorpus ? corpus : rowsOf(corpus, sample.docs, e.dim);
    out = { docs, searchRows: corpus, searchIndex: all, scope: 'corpus' };
  } else {
    const docs = await sampleRows(ds, sample.docs, e, backend, cache, ctx);
    out = { docs, searchRows: docs, searchIndex: sample.docs, scope: 'sample' };
  }
  if (signal.aborted) throw new DOMException('explorer cancelled', 'AbortError');
  ctx.progress('embed-queries', 0, sample.queries.length);
  const queries = await e.embed(
    backend,
    sample.queries.map((q: Query) => applyTemplate(e.templates.query, q)),
    'query',
  );
  ctx.progress('embed-queries', sample.queries.length, sample.queries.length);
  return { ...out, queries };
}
