import 'fake-indexeddb/auto';
import { openDB } from 'idb';
import { afterEach, describe, expect, it } from 'vitest';
import {
  closeStudioDb,
  DB_NAME,
  DB_VERSION,
  MIGRATIONS,
  openStudioDb,
  reconnectingDb,
  StorageQuotaError,
  StorageVersionError,
  studioDb,
  writeTx,
  type ConnectionLoss,
} from './db';
import { requestPersistentStorage } from './persist';
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
      'synthItems',
      'synthSets',
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
      expect(db.objectStoreNames.length).toBe(15);
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

describe('a connection closed by another tab', () => {
  it('closes itself on versionchange so the other tab is not blocked, and reopens on the next use', async () => {
    const name = fresh();
    const lost: ConnectionLoss[] = [];
    const conn = reconnectingDb(name, DB_VERSION, (why) => lost.push(why));
    const first = await conn.get();
    await first.put('settings', 'kept', 'k');
    // another tab deletes the database (a versionchange for every open connection)
    await new Promise<void>((resolve, reject) => {
      const req = indexedDB.deleteDatabase(name);
      req.onsuccess = () => resolve();
      req.onerror = () => reject(req.error);
      req.onblocked = () => reject(new Error('blocked: the old connection did not close'));
    });
    expect(lost).toEqual(['versionchange']);
    // the old connection is closed (a write on it says why); the next use opens a fresh one that works
    await expect(first.get('settings', 'k')).rejects.toThrow();
    await expect(
      writeTx(first, ['settings'], 'a setting', async (tx) => {
        await tx.objectStore('settings').put('x', 'k');
      }),
    ).rejects.toThrow(/^Saving a setting failed: another tab of the studio upgraded or deleted its storage/);
    const second = await conn.get();
    expect(second).not.toBe(first);
    await second.put('settings', 'again', 'k');
    expect(await second.get('settings', 'k')).toBe('again');
    await conn.close();
  });

  it('after a newer tab upgraded the schema, asks for a reload instead of breaking', async () => {
    const name = fresh();
    const older = reconnectingDb(name, DB_VERSION - 1);
    const db = await older.get();
    expect(db.version).toBe(DB_VERSION - 1);
    // the newer build opens the same database at the latest version: the older tab's connection yields
    const newer = await openStudioDb(name, DB_VERSION);
    opened.push(newer);
    expect(newer.version).toBe(DB_VERSION);
    const err = await older.get().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StorageVersionError);
    expect((err as Error).message).toMatch(
      /upgraded by a newer version of the studio open in another tab.*Reload this page/,
    );
    // each later use says the same (the failed open is not kept as the connection)
    await expect(older.get()).rejects.toBeInstanceOf(StorageVersionError);
  });
});

describe("the app's shared connection", () => {
  it('works again after another tab deleted the database under it', async () => {
    const first = await studioDb();
    await first.put('settings', 'before', 'k');
    await new Promise<void>((resolve, reject) => {
      const req = indexedDB.deleteDatabase(DB_NAME);
      req.onsuccess = () => resolve();
      req.onerror = () => reject(req.error);
      req.onblocked = () => reject(new Error('blocked: the shared connection did not close'));
    });
    const db = await studioDb();
    await db.put('settings', 'after', 'k');
    expect(await db.get('settings', 'k')).toBe('after');
    await closeStudioDb();
  });
});

describe('persistent storage', () => {
  it('asks the browser to persist only when not yet persisted, and reports its answer', async () => {
    const calls: string[] = [];
    const api = (persisted: boolean, grant: boolean) => ({
      persisted: () => (calls.push('persisted'), Promise.resolve(persisted)),
      persist: () => (calls.push('persist'), Promise.resolve(grant)),
    });
    expect(await requestPersistentStorage(api(true, false))).toBe(true);
    expect(calls).toEqual(['persisted']);
    expect(await requestPersistentStorage(api(false, true))).toBe(true);
    expect(await requestPersistentStorage(api(false, false))).toBe(false);
    expect(calls).toEqual(['persisted', 'persisted', 'persist', 'persisted', 'persist']);
    // no StorageManager (Node, old browsers) or a failing one: unknown
    expect(await requestPersistentStorage({})).toBeNull();
    expect(
      await requestPersistentStorage({ persist: () => Promise.reject(new Error('denied by policy')) }),
    ).toBeNull();
  });
});
