import 'fake-indexeddb/auto';
import { openDB } from 'idb';
import { afterEach, describe, expect, it } from 'vitest';
import { DB_VERSION, MIGRATIONS, openStudioDb, StorageQuotaError, writeTx } from './db';
import { listDatasets, loadDataset } from './datasets';
import { IdbEmbeddingCache } from './embeddings';

let n = 0;
const fresh = () => `db-test-${++n}-${Date.now()}`;
const opened: { close(): void }[] = [];
afterEach(() => {
  for (const d of opened.splice(0)) d.close();
});

describe('schema migrations', () => {
  it('has one step per version and creates every store at the latest version', async () => {
    expect(DB_VERSION).toBe(MIGRATIONS.length);
    const db = await openStudioDb(fresh());
    opened.push(db);
    expect([...db.objectStoreNames].sort()).toEqual([
      'datasetChunks',
      'datasets',
      'embeddings',
      'expertWeights',
      'experts',
      'modelFiles',
      'models',
      'runHits',
      'runs',
      'settings',
      'trainCheckpoints',
      'trainData',
      'trainRuns',
    ]);
    expect(db.version).toBe(DB_VERSION);
    expect([...db.transaction('datasets').store.indexNames]).toEqual(['by-importedAt']);
  });

  it('upgrades a v1 database to the latest version keeping its datasets and settings', async () => {
    const name = fresh();
    const v1 = await openStudioDb(name, 1);
    expect([...v1.objectStoreNames].sort()).toEqual(['datasetChunks', 'datasets', 'settings']);
    // a v1 record: no importedAt / description / fingerprint yet
    const raw = v1 as unknown as import('idb').IDBPDatabase;
    const tx = raw.transaction(['datasets', 'datasetChunks', 'settings'], 'readwrite');
    await tx.objectStore('datasets').put({
      name: 'old',
      counts: { docs: 2, queries: 1 },
      splits: { test: { queries: 1, judgments: 1 } },
      chunks: { docs: 1, queries: 1, qrels: 1 },
    });
    await tx.objectStore('datasetChunks').put({
      dataset: 'old',
      part: 'docs',
      index: 0,
      rows: [
        ['d1', 'T1', 'first doc'],
        ['d2', '', 'second doc'],
      ],
    });
    await tx
      .objectStore('datasetChunks')
      .put({ dataset: 'old', part: 'queries', index: 0, rows: [['q1', 'which doc']] });
    await tx
      .objectStore('datasetChunks')
      .put({ dataset: 'old', part: 'qrels', index: 0, rows: [['test', 'q1', 'd2', 2]] });
    await tx.objectStore('settings').put('cpu', 'backendPref');
    await tx.done;
    v1.close();

    const db = await openStudioDb(name);
    opened.push(db);
    expect(db.version).toBe(DB_VERSION);
    const metas = await listDatasets(db);
    expect(metas).toHaveLength(1);
    expect(metas[0]).toMatchObject({
      name: 'old',
      description: '',
      importedAt: new Date(0).toISOString(),
      fingerprint: '',
    });
    const ds = await loadDataset('old', db);
    expect(ds.docs.map((d) => d.text)).toEqual(['first doc', 'second doc']);
    expect(ds.qrels.test.get('q1')?.get('d2')).toBe(2);
    expect(await db.get('settings', 'backendPref')).toBe('cpu');
    // stores added by later steps work
    await new IdbEmbeddingCache(db).put('glove|old|{text}|passage|chunk0', new Float32Array([1, 2]));
    expect([...((await new IdbEmbeddingCache(db).get('glove|old|{text}|passage|chunk0')) ?? [])]).toEqual([
      1, 2,
    ]);
  });

  it('upgrades from every intermediate version', async () => {
    for (let v = 1; v < DB_VERSION; v++) {
      const name = fresh();
      (await openStudioDb(name, v)).close();
      const db = await openStudioDb(name);
      opened.push(db);
      expect(db.objectStoreNames.length).toBe(13);
    }
  });

  it('rejects an unknown version', async () => {
    await expect(openStudioDb(fresh(), DB_VERSION + 1)).rejects.toThrow(RangeError);
  });

  it('a failing step aborts the whole upgrade and leaves the old version', async () => {
    const name = fresh();
    const v3 = await openStudioDb(name, 3);
    await v3.put('datasets', {
      name: 'x',
      counts: { docs: 0, queries: 0 },
      splits: {},
      chunks: { docs: 0, queries: 0, qrels: 0 },
    } as never);
    v3.close();
    // a buggy step: swap in one that throws
    const steps = MIGRATIONS as unknown as ((...a: unknown[]) => unknown)[];
    const real = steps[3];
    steps[3] = () => {
      throw new Error('step 4 broke');
    };
    try {
      await expect(openStudioDb(name)).rejects.toThrow('step 4 broke');
    } finally {
      steps[3] = real;
    }
    const raw = await openDB(name);
    opened.push(raw);
    expect(raw.version).toBe(3);
    expect(await raw.get('datasets', 'x')).toMatchObject({ name: 'x' });
  });
});

describe('writeTx', () => {
  it('turns a quota failure into StorageQuotaError and commits nothing', async () => {
    const db = await openStudioDb(fresh());
    opened.push(db);
    await db.put('settings', 'before', 'k');
    const err = await writeTx(db, ['settings'], 'test write', async (tx) => {
      await tx.objectStore('settings').put('after', 'k');
      await tx.objectStore('settings').put('new', 'k2');
      throw new DOMException('quota', 'QuotaExceededError');
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StorageQuotaError);
    expect((err as Error).message).toMatch(/quota exceeded while saving test write; nothing was changed/);
    expect(await db.get('settings', 'k')).toBe('before');
    expect(await db.get('settings', 'k2')).toBeUndefined();
  });
});
