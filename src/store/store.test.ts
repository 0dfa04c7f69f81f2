import 'fake-indexeddb/auto';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Dataset } from '../data/types';
import { loadBeirDir, sharedDatasetsDir } from '../data/node';
import type { EvalReport, Run } from '../eval/types';
import { openStudioDb, StorageQuotaError, type StudioDB } from './db';
import { DatasetExistsError, deleteDataset, listDatasets, loadDataset, saveDataset } from './datasets';
import { countEmbeddings, deleteEmbeddings, IdbEmbeddingCache } from './embeddings';
import { deleteRun, getRun, listRuns, saveRun } from './runs';
import { loadSettings, saveSettings } from './settings';

let med: Dataset;
beforeAll(async () => {
  med = await loadBeirDir(join(sharedDatasetsDir(), 'med'), 'med');
});

let n = 0;
const dbs: StudioDB[] = [];
async function freshDb(): Promise<StudioDB> {
  const db = await openStudioDb(`store-test-${++n}-${Date.now()}`);
  dbs.push(db);
  return db;
}
afterEach(() => {
  for (const d of dbs.splice(0)) d.close();
});

/** A run that ranks each query's judged docs first, then the first docs of the corpus. */
function runOf(ds: Dataset, split: string): Run {
  const run: Run = new Map();
  for (const [qid, rel] of ds.qrels[split]) {
    const hits = [...rel.keys()].map((d, i) => ({ docId: d, score: 100 - i }));
    for (let i = 0; i < 200; i++) hits.push({ docId: ds.docs[i].id, score: 1 - i / 1000 });
    run.set(qid, hits);
  }
  return run;
}
function reportOf(ds: Dataset, retriever: string, createdAt: string): EvalReport {
  const metrics = { 'ndcg@10': 0.5 } as EvalReport['metrics'];
  return {
    dataset: ds.name,
    split: 'test',
    retriever,
    backend: 'cpu',
    metrics,
    perQuery: { '1': metrics },
    queries: ds.qrels.test.size,
    seconds: 1.5,
    createdAt,
  };
}

describe('datasets', () => {
  it('round-trips a real collection through chunks', async () => {
    const db = await freshDb();
    const meta = await saveDataset(med, db);
    expect(meta.counts).toEqual({ docs: 1033, queries: 30 });
    expect(meta.splits.test.queries).toBe(30);
    expect(meta.chunks.docs).toBeGreaterThan(1); // ~1 MB of abstracts does not fit one chunk
    const back = await loadDataset('med', db);
    expect(back.docs).toEqual(med.docs);
    expect(back.queries).toEqual(med.queries);
    expect(back.qrels.test).toEqual(med.qrels.test);
    expect((await listDatasets(db)).map((m) => m.name)).toEqual(['med']);
  });

  it('names a missing dataset', async () => {
    const db = await freshDb();
    await expect(loadDataset('nope', db)).rejects.toThrow(/No dataset named "nope"/);
  });

  it('keeps embeddings and runs on an identical re-import, drops them when the contents change', async () => {
    const db = await freshDb();
    await saveDataset(med, db);
    const cache = new IdbEmbeddingCache(db);
    await cache.put('glove|med|{text}|passage|chunk0', new Float32Array(8));
    await saveRun(reportOf(med, 'bm25', '2024-01-01T00:00:00.000Z'), runOf(med, 'test'), 100, db);
    await saveDataset(med, db);
    expect(await countEmbeddings('med', db)).toBe(1);
    expect(await listRuns('med', db)).toHaveLength(1);
    await saveDataset({ ...med, docs: med.docs.slice(1) }, db, { onExisting: 'replace' });
    expect(await countEmbeddings('med', db)).toBe(0);
    expect(await listRuns('med', db)).toHaveLength(0);
    expect((await loadDataset('med', db)).docs).toHaveLength(1032);
  });

  it('never replaces a dataset with other contents unless confirmed, and says how many runs would go', async () => {
    const db = await freshDb();
    await saveDataset(med, db);
    await saveRun(reportOf(med, 'bm25', '2024-01-01T00:00:00.000Z'), runOf(med, 'test'), 100, db);
    await saveRun(reportOf(med, 'glove', '2024-01-02T00:00:00.000Z'), runOf(med, 'test'), 100, db);
    const other = { ...med, docs: med.docs.slice(1) };
    // default: refused, nothing changes
    const err = await saveDataset(other, db).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DatasetExistsError);
    expect((err as Error).message).toBe(
      'A dataset named "med" is already stored with other contents. Importing under this name replaces dataset "med"; its 2 evaluation runs and cached embeddings will be deleted. Confirm the replacement, or import under another name.',
    );
    expect((await loadDataset('med', db)).docs).toHaveLength(1033);
    expect(await listRuns('med', db)).toHaveLength(2);
    // 'rename': stored beside it under the first free name
    expect((await saveDataset(other, db, { onExisting: 'rename' })).name).toBe('med (2)');
    expect((await saveDataset({ ...med, docs: med.docs.slice(2) }, db, { onExisting: 'rename' })).name).toBe(
      'med (3)',
    );
    // identical contents are saved in place whatever the mode: nothing is lost
    expect((await saveDataset(med, db, { onExisting: 'rename' })).name).toBe('med');
    expect((await listDatasets(db)).map((m) => m.name).sort()).toEqual(['med', 'med (2)', 'med (3)']);
    expect(await listRuns('med', db)).toHaveLength(2);
    // confirmed: replaced, its runs deleted
    await saveDataset(other, db, { onExisting: 'replace' });
    expect((await loadDataset('med', db)).docs).toHaveLength(1032);
    expect(await listRuns('med', db)).toHaveLength(0);
  });

  it('deletes a dataset with its embeddings and runs, leaving others', async () => {
    const db = await freshDb();
    await saveDataset(med, db);
    await saveDataset({ ...med, name: 'med2' }, db);
    const cache = new IdbEmbeddingCache(db);
    await cache.put('glove|med|t|passage|chunk0', new Float32Array(4));
    await cache.put('glove|med2|t|passage|chunk0', new Float32Array(4));
    await saveRun(reportOf(med, 'bm25', '2024-01-01T00:00:00.000Z'), runOf(med, 'test'), 100, db);
    await deleteDataset('med', db);
    expect((await listDatasets(db)).map((m) => m.name)).toEqual(['med2']);
    expect(await db.count('datasetChunks')).toBe((await listDatasets(db))[0].chunks.docs + 2);
    expect(await cache.get('glove|med|t|passage|chunk0')).toBeUndefined();
    expect(await cache.get('glove|med2|t|passage|chunk0')).toBeDefined();
    expect(await listRuns(undefined, db)).toHaveLength(0);
  });

  it('a quota failure mid-save rolls back and keeps the previous version', async () => {
    const db = await freshDb();
    await saveDataset(med, db);
    const proto = (
      globalThis as unknown as { IDBObjectStore: { prototype: { put: (...a: unknown[]) => unknown } } }
    ).IDBObjectStore.prototype;
    const realPut = proto.put;
    let calls = 0;
    proto.put = function (this: unknown, ...a: unknown[]) {
      if (++calls === 3) throw new DOMException('The quota has been exceeded.', 'QuotaExceededError');
      return realPut.apply(this, a);
    };
    try {
      const err = await saveDataset({ ...med, docs: med.docs.slice(0, 500), description: 'changed' }, db, {
        onExisting: 'replace',
      }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(StorageQuotaError);
      expect((err as Error).message).toMatch(/dataset "med"/);
    } finally {
      proto.put = realPut;
    }
    const back = await loadDataset('med', db);
    expect(back.docs).toHaveLength(1033);
    expect(back.description).toBe(med.description ?? '');
  });
});

describe('runs', () => {
  it('keeps the best hits in trec_eval order and lists newest first', async () => {
    const db = await freshDb();
    const run = runOf(med, 'test');
    run.set('1', [
      { docId: 'a', score: 1 },
      { docId: 'c', score: 2 },
      { docId: 'b', score: 1 },
      ...run.get('1')!.map((h) => ({ ...h, score: h.score - 200 })),
    ]);
    const first = await saveRun(reportOf(med, 'bm25', '2024-01-01T00:00:00.000Z'), run, 10, db);
    const second = await saveRun(reportOf(med, 'glove', '2024-02-01T00:00:00.000Z'), run, 50, db);
    expect((await listRuns(undefined, db)).map((r) => r.id)).toEqual([second.id, first.id]);
    const got = await getRun(first.id, db);
    expect(got.kept).toBe(10);
    expect(got.hits['1'].slice(0, 3).map((h) => h.docId)).toEqual(['c', 'b', 'a']);
    expect(got.hits['1']).toHaveLength(10);
    expect((await getRun(second.id, db)).hits['2']).toHaveLength(50);
    expect(got.report.metrics['ndcg@10']).toBe(0.5);
    await deleteRun(first.id, db);
    await expect(getRun(first.id, db)).rejects.toThrow(/No stored run/);
    expect(await listRuns('med', db)).toHaveLength(1);
  });

  it('rejects a keep outside 10..1000', async () => {
    const db = await freshDb();
    await expect(
      saveRun(reportOf(med, 'bm25', '2024-01-01T00:00:00.000Z'), runOf(med, 'test'), 5, db),
    ).rejects.toThrow(RangeError);
  });
});

describe('embedding cache and settings', () => {
  it('stores vectors by key and deletes them per model', async () => {
    const db = await freshDb();
    const cache = new IdbEmbeddingCache(db);
    await cache.put('glove|med|t|passage|chunk0', new Float32Array([0.5, -1]));
    await cache.put('use|med|t|passage|chunk0', new Float32Array([3]));
    expect(await cache.get('glove|med|t|passage|chunk0')).toEqual(new Float32Array([0.5, -1]));
    expect(await deleteEmbeddings({ model: 'glove' }, db)).toBe(1);
    expect(await cache.get('glove|med|t|passage|chunk0')).toBeUndefined();
    expect(await cache.get('use|med|t|passage|chunk0')).toEqual(new Float32Array([3]));
    await expect(cache.put('nokey', new Float32Array(1))).rejects.toThrow(/not of the form/);
  });

  it('settings default and persist', async () => {
    const db = await freshDb();
    expect(await loadSettings(db)).toEqual({
      backendPref: 'auto',
      dataset: null,
      split: null,
      retriever: 'bm25',
      activeModel: null,
      llmEndpoint: null,
    });
    await saveSettings({ backendPref: 'webgpu', dataset: 'med' }, db);
    expect(await loadSettings(db)).toMatchObject({
      backendPref: 'webgpu',
      dataset: 'med',
      retriever: 'bm25',
    });
  });
});
