/**
 * The corpus embeddings of one dataset on disk, one FileEmbeddingCache per model:
 *   <root>/<model>/<dataset>-<fingerprint>.keys.json + .f32
 * Keys are dense evaluation's corpus chunk keys (src/eval/embed-cache.ts: model, dataset, passage template,
 * fingerprint, chunk), so another template gets other keys in the same file and a changed corpus another
 * file. An adapter expert reads its base model's chunks (src/eval/dense.ts), hence one file per model, not
 * per expert. A file that cannot be read is discarded with a warning naming it (its chunks are embedded
 * again and the file rewritten), and a folder that cannot be made leaves the run without a cache, with a
 * warning: it is a cache, never the only copy of anything.
 */
import { createHash } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Dataset } from '../data/types';
import { corpusFingerprint, MemoryEmbeddingCache, type EmbeddingCache } from './embed-cache';
import { FileEmbeddingCache } from './embed-cache-node';

/** A path segment for a model id or dataset name ("org/name", a folder path…): safe characters, and a short
 * hash of the original whenever something had to be replaced, so two ids never share a file. */
export function safeSegment(s: string): string {
  const clean = s
    .replace(/[^A-Za-z0-9._+-]+/g, '_')
    .replace(/^\.+/, '_')
    .slice(0, 80);
  return clean === s ? s : `${clean}-${createHash('sha256').update(s).digest('hex').slice(0, 8)}`;
}

export interface CorpusCacheCounts {
  /** corpus chunks read from disk */
  reused: number;
  /** corpus chunks embedded now (and written) */
  embedded: number;
}

export class CorpusEmbeddingCache implements EmbeddingCache {
  private readonly files = new Map<string, Promise<EmbeddingCache>>();
  private readonly fingerprint: string;
  private gets = 0;
  private puts = 0;

  constructor(
    readonly root: string,
    readonly dataset: Dataset,
    private readonly warn: (message: string) => void,
  ) {
    this.fingerprint = corpusFingerprint(dataset);
  }

  /** The file (without its .keys.json / .f32 endings) holding `model`'s chunks of this dataset. */
  fileOf(model: string): string {
    return join(this.root, safeSegment(model), `${safeSegment(this.dataset.name)}-${this.fingerprint}`);
  }

  private open(key: string): Promise<EmbeddingCache> {
    const model = key.slice(0, key.indexOf('|'));
    let f = this.files.get(model);
    if (!f) {
      f = openOrDiscard(this.fileOf(model), this.warn);
      this.files.set(model, f);
    }
    return f;
  }

  async get(key: string): Promise<Float32Array | undefined> {
    const v = await (await this.open(key)).get(key);
    if (v) this.gets++;
    return v;
  }

  async put(key: string, value: Float32Array): Promise<void> {
    this.puts++;
    await (await this.open(key)).put(key, value);
  }

  /** Chunks reused from disk and embedded in this process so far. */
  counts(): CorpusCacheCounts {
    return { reused: this.gets, embedded: this.puts };
  }

  /** Writes every file that got new chunks. */
  async flush(): Promise<void> {
    if (this.puts === 0) return;
    for (const f of this.files.values()) await (await f).flush?.();
  }
}

async function openOrDiscard(file: string, warn: (message: string) => void): Promise<EmbeddingCache> {
  try {
    return await FileEmbeddingCache.open(file);
  } catch (e) {
    const why = (e as Error).message;
    if (/cannot create its folder/.test(why)) {
      // a cache that cannot be kept does not stop the evaluation
      warn(`${why}; this evaluation goes on without the cache (set --cache-dir or STM_CACHE_DIR)`);
      return new MemoryEmbeddingCache();
    }
    warn(
      `embedding cache ${file}.keys.json / .f32 cannot be read (${why}); discarded: its chunks are embedded again and the file rewritten`,
    );
    await rm(`${file}.keys.json`, { force: true });
    await rm(`${file}.f32`, { force: true });
    return FileEmbeddingCache.open(file);
  }
}
