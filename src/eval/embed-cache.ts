/**
 * The one embedding cache of the studio, for evaluation and training alike: an async key → vector store
 * (IndexedDB in the app, a memory map or a file in Node). Keys name the model first, then what the
 * vectors embed: a corpus chunk (`corpusChunkKey`, dense evaluation) or one templated text
 * (`textKey`, a run's frozen base embeddings).
 */
import type { Backend } from '../core/backend';
import type { Dataset } from '../data/types';
import type { Embedder, Role } from '../models/types';

export interface EmbeddingCache {
  get(key: string): Promise<Float32Array | undefined>;
  put(key: string, value: Float32Array): Promise<void>;
  /** writes what is held in memory to where it persists (a file cache); called after mining and training */
  flush?(): Promise<void>;
}

/** A cache in memory (what a run without a persistent cache uses). */
export class MemoryEmbeddingCache implements EmbeddingCache {
  constructor(readonly rows: Map<string, Float32Array> = new Map()) {}

  get(key: string): Promise<Float32Array | undefined> {
    return Promise.resolve(this.rows.get(key));
  }

  put(key: string, value: Float32Array): Promise<void> {
    this.rows.set(key, value);
    return Promise.resolve();
  }
}

/** FNV-1a over doc ids and text lengths: a re-imported dataset with other content gets other keys. */
export function corpusFingerprint(dataset: Dataset): string {
  let h = 0x811c9dc5;
  const mix = (s: string) => {
    for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  };
  for (const d of dataset.docs) mix(`${d.id}\u0000${d.title.length}:${d.text.length}\u0001`);
  return (h >>> 0).toString(16).padStart(8, '0');
}

/**
 * The key prefix of a dataset's corpus chunks, `${model}|${dataset}|${template}#${fingerprint}|passage|`
 * (it walks the corpus once, so it is made once per run); chunk i of n docs appends `chunk<i>of<n>`.
 */
export function corpusChunkKeyPrefix(model: string, dataset: Dataset, template: string): string {
  return `${model}|${dataset.name}|${template}#${corpusFingerprint(dataset)}|passage|`;
}

/** The key of one templated text's base embedding. */
export function textKey(model: string, role: Role, text: string): string {
  return `${model}\u0000${role}\u0000${text}`;
}

export interface CachedEmbedOptions {
  /** texts per call to the base embedder (progress granularity) */
  chunk?: number;
  signal?: AbortSignal;
  onProgress?: (done: number, total: number) => void;
}

/** Embeds texts with the base model, reusing cached rows (one per text); returns [texts.length * dim]. */
export async function cachedEmbed(
  base: Embedder,
  backend: Backend,
  texts: readonly string[],
  role: Role,
  cache: EmbeddingCache,
  opts: CachedEmbedOptions = {},
): Promise<Float32Array> {
  const dim = base.dim;
  const out = new Float32Array(texts.length * dim);
  const missing: number[] = [];
  const seen = new Set<string>();
  for (let i = 0; i < texts.length; i++) {
    const t = texts[i];
    const hit = await cache.get(textKey(base.id, role, t));
    if (hit) out.set(hit, i * dim);
    else if (!seen.has(t)) {
      seen.add(t);
      missing.push(i);
    }
  }
  const chunk = opts.chunk ?? 256;
  for (let s = 0; s < missing.length; s += chunk) {
    if (opts.signal?.aborted) throw new DOMException('embedding cancelled', 'AbortError');
    const idx = missing.slice(s, s + chunk);
    const emb = await base.embed(
      backend,
      idx.map((i) => texts[i]),
      role,
    );
    for (let r = 0; r < idx.length; r++)
      await cache.put(textKey(base.id, role, texts[idx[r]]), emb.slice(r * dim, (r + 1) * dim));
    opts.onProgress?.(Math.min(missing.length, s + chunk), missing.length);
  }
  if (missing.length) {
    for (let i = 0; i < texts.length; i++)
      out.set((await cache.get(textKey(base.id, role, texts[i])))!, i * dim);
  }
  return out;
}

/** The base embedder seen through the cache (for mining and evaluation over frozen base embeddings). */
export function cachingEmbedder(
  base: Embedder,
  cache: EmbeddingCache,
  opts: CachedEmbedOptions = {},
): Embedder {
  return {
    id: base.id,
    dim: base.dim,
    templates: base.templates,
    embed: (backend, texts, role) => cachedEmbed(base, backend, texts, role, cache, opts),
  };
}
