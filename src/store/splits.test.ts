import 'fake-indexeddb/auto';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { loadDemoDatasetNode } from '../data/node';
import { parseSplitSpec, splitQueries } from '../data/split';
import type { Dataset } from '../data/types';
import type { EvalReport, Run } from '../eval/types';
import { openStudioDb, type StudioDB } from './db';
import { addSplits, getDatasetMeta, loadDataset, saveDataset, SplitExistsError } from './datasets';
import { countEmbeddings, IdbEmbeddingCache } from './embeddings';
import { listRuns, saveRun } from './runs';

let demo: Dataset;
beforeAll(async () => {
  demo = await loadDemoDatasetNode();
});
const dbs: StudioDB[] = [];
afterEach(() => {
  for (const d of dbs.splice(0)) d.close();
});
async function stored(): Promise<StudioDB> {
  const db = await openStudioDb(`splits-test-${dbs.length}-${Date.now()}`);
  dbs.push(db);
  await saveDataset(demo, db);
  const report = {
    dataset: 'demo',
    split: 'test',
    retriever: 'bm25',
    backend: 'none',
    metrics: { 'ndcg@10': 0.5 },
    perQuery: {},
    queries: 48,
    seconds: 1,
    createdAt: new Date().toISOString(),
  } as unknown as EvalReport;
  const run: Run = new Map([['1', [{ docId: demo.docs[0].id, score: 1 }]]]);
  await saveRun(report, run, 10, db);
  await new IdbEmbeddingCache(db).put('m|demo|t|passage|chunk0', new Float32Array(4));
  return db;
}

describe('addSplits (new query splits of a stored dataset)', () => {
  it('adds the splits, keeping docs, queries, embeddings and the runs on other splits', async () => {
    const db = await stored();
    const r = splitQueries(demo, 'test', parseSplitSpec('train:0.6,dev:0.4'), 42);
    const before = await getDatasetMeta('demo', db);
    const { meta, deletedRuns } = await addSplits('demo', r.splits, {}, db);
    expect(deletedRuns).toBe(0);
    expect(Object.keys(meta.splits).sort()).toEqual(['dev', 'test', 'train']);
    expect(meta.splits.train.queries + meta.splits.dev.queries).toBe(48);
    expect(meta.counts).toEqual(before!.counts);
    const back = await loadDataset('demo', db);
    expect(back.docs).toEqual(demo.docs);
    expect(back.queries).toEqual(demo.queries);
    expect(back.qrels.test).toEqual(demo.qrels.test);
    expect(back.qrels.train).toEqual(r.splits.train);
    expect(back.qrels.dev).toEqual(r.splits.dev);
    expect(await listRuns('demo', db)).toHaveLength(1);
    expect(await countEmbeddings('demo', db)).toBe(1);
  });

  it('refuses a name the dataset has (naming the runs on it) unless replacing; replacing deletes only those runs', async () => {
    const db = await stored();
    const r = splitQueries(demo, 'test', parseSplitSpec('train:0.8,test:0.2'), 1);
    const err = await addSplits('demo', r.splits, {}, db).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SplitExistsError);
    expect((err as Error).message).toMatch(
      /"demo" already has a split "test" \(1 run on it\).*Nothing was changed/,
    );
    expect(Object.keys((await getDatasetMeta('demo', db))!.splits)).toEqual(['test']);
    expect(await listRuns('demo', db)).toHaveLength(1);
    const { meta, deletedRuns } = await addSplits('demo', r.splits, { replace: true }, db);
    expect(deletedRuns).toBe(1);
    expect(meta.splits).toMatchObject({ train: { queries: 38 }, test: { queries: 10 } });
    expect(await listRuns('demo', db)).toHaveLength(0);
    expect((await loadDataset('demo', db)).qrels.test).toEqual(r.splits.test);
    expect(await countEmbeddings('demo', db)).toBe(1);
  });
});
