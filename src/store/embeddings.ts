/**
 * The EmbeddingCache of dense evaluation over the `embeddings` store. Keys look like
 * `${model}|${dataset}|${template}|passage|chunk<i>`; model and dataset are indexed so a dataset's or a
 * model's vectors can be deleted together.
 */
import type { EmbeddingCache } from '../eval/evaluate';
import { StorageQuotaError, studioDb, writeTx, type StudioDB } from './db';

export function parseEmbeddingKey(key: string): { model: string; dataset: string } {
  const parts = key.split('|');
  if (parts.length < 3 || !parts[0] || !parts[1])
    throw new Error(`Embedding cache key "${key}" is not of the form model|dataset|...`);
  return { model: parts[0], dataset: parts[1] };
}

export interface IdbEmbeddingCacheOptions {
  /**
   * Called once when a write hit the storage quota: the cache then keeps new vectors in memory only
   * for the rest of the job (the work goes on, nothing more is persisted).
   */
  onDegraded?: (message: string) => void;
}

/**
 * The cache is optional: a full disk must not abort the job that uses it. After a quota failure on a
 * write it degrades to memory (what a run without a persistent cache uses) and says so once.
 */
export class IdbEmbeddingCache implements EmbeddingCache {
  /** vectors held in memory once a write hit the quota (null: still persisting) */
  private memory: Map<string, Float32Array> | null = null;

  constructor(
    private readonly db?: StudioDB,
    private readonly opts: IdbEmbeddingCacheOptions = {},
  ) {}

  /** True once a quota failure turned the cache into a memory-only one. */
  get degraded(): boolean {
    return this.memory !== null;
  }

  private conn(): Promise<StudioDB> {
    return this.db ? Promise.resolve(this.db) : studioDb();
  }

  async get(key: string): Promise<Float32Array | undefined> {
    const held = this.memory?.get(key);
    if (held) return held;
    const rec = await (await this.conn()).get('embeddings', key);
    return rec?.data;
  }

  async put(key: string, value: Float32Array): Promise<void> {
    const { model, dataset } = parseEmbeddingKey(key);
    if (this.memory) {
      this.memory.set(key, value);
      return;
    }
    const db = await this.conn();
    try {
      await writeTx(
        db,
        ['embeddings'],
        `embeddings ${key}`,
        async (tx) => {
          await tx.objectStore('embeddings').put({ key, model, dataset, data: value });
        },
        value.byteLength,
      );
    } catch (e) {
      if (!(e instanceof StorageQuotaError)) throw e;
      this.memory = new Map([[key, value]]);
      this.opts.onDegraded?.(
        `Browser storage is full: embeddings of ${model} on ${dataset} are no longer cached (this job goes on without the cache; a rerun embeds again). Free space by deleting datasets, runs or models.`,
      );
    }
  }
}

/** Deletes cached vectors of a dataset and/or a model (both given: only their intersection). */
export async function deleteEmbeddings(
  filter: { dataset?: string; model?: string },
  db?: StudioDB,
): Promise<number> {
  if (filter.dataset === undefined && filter.model === undefined)
    throw new Error('deleteEmbeddings needs a dataset or a model');
  db ??= await studioDb();
  return writeTx(db, ['embeddings'], 'embedding deletion', async (tx) => {
    const store = tx.objectStore('embeddings');
    const keys =
      filter.dataset !== undefined
        ? await store.index('by-dataset').getAllKeys(filter.dataset)
        : await store.index('by-model').getAllKeys(filter.model as string);
    let n = 0;
    for (const k of keys) {
      if (
        filter.model !== undefined &&
        filter.dataset !== undefined &&
        parseEmbeddingKey(k).model !== filter.model
      )
        continue;
      await store.delete(k);
      n++;
    }
    return n;
  });
}

/** Number of cached embedding chunks of a dataset (shown so a user sees what resuming will reuse). */
export async function countEmbeddings(dataset: string, db?: StudioDB): Promise<number> {
  db ??= await studioDb();
  return db.countFromIndex('embeddings', 'by-dataset', dataset);
}
