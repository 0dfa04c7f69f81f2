/** Frozen base embeddings, cached per (model, role, templated text) so a run embeds each text once. */
import type { Backend } from '../core/backend';
import type { Embedder, Role } from '../models/types';

export type BaseEmbeddingCache = Map<string, Float32Array>;

export function cacheKey(model: string, role: Role, text: string): string {
  return `${model}\u0000${role}\u0000${text}`;
}

export interface CachedEmbedOptions {
  /** texts per call to the base embedder (progress granularity) */
  chunk?: number;
  signal?: AbortSignal;
  onProgress?: (done: number, total: number) => void;
}

/** Embeds texts with the base model, reusing cached rows; returns [texts.length * dim]. */
export async function cachedEmbed(
  base: Embedder,
  backend: Backend,
  texts: readonly string[],
  role: Role,
  cache: BaseEmbeddingCache,
  opts: CachedEmbedOptions = {},
): Promise<Float32Array> {
  const dim = base.dim;
  const out = new Float32Array(texts.length * dim);
  const missing: number[] = [];
  const seen = new Set<string>();
  texts.forEach((t, i) => {
    const hit = cache.get(cacheKey(base.id, role, t));
    if (hit) out.set(hit, i * dim);
    else if (!seen.has(t)) {
      seen.add(t);
      missing.push(i);
    }
  });
  const chunk = opts.chunk ?? 256;
  for (let s = 0; s < missing.length; s += chunk) {
    if (opts.signal?.aborted) throw new DOMException('embedding cancelled', 'AbortError');
    const idx = missing.slice(s, s + chunk);
    const emb = await base.embed(
      backend,
      idx.map((i) => texts[i]),
      role,
    );
    idx.forEach((ti, r) => cache.set(cacheKey(base.id, role, texts[ti]), emb.slice(r * dim, (r + 1) * dim)));
    opts.onProgress?.(Math.min(missing.length, s + chunk), missing.length);
  }
  if (missing.length) {
    texts.forEach((t, i) => out.set(cache.get(cacheKey(base.id, role, t))!, i * dim));
  }
  return out;
}

/** The base embedder seen through the cache (for mining and evaluation over frozen base embeddings). */
export function cachingEmbedder(
  base: Embedder,
  cache: BaseEmbeddingCache,
  opts: CachedEmbedOptions = {},
): Embedder {
  return {
    id: base.id,
    dim: base.dim,
    templates: base.templates,
    embed: (backend, texts, role) => cachedEmbed(base, backend, texts, role, cache, opts),
  };
}
