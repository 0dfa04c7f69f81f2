import 'fake-indexeddb/auto';
import { afterEach, describe, expect, it } from 'vitest';
import { expertModelId, type ExpertRecord } from '../experts/record';
import type { TrainCheckpoint, TrainConfig, TrainProgress } from '../train/types';
import { openStudioDb, type StudioDB } from './db';
import { IdbEmbeddingCache } from './embeddings';
import { saveModelRecord, listModelRecords } from './models';
import {
  createTrainRun,
  deleteExpert,
  deleteTrainRun,
  finishTrainRun,
  getCheckpoint,
  getExpert,
  getTrainPairs,
  getTrainRun,
  listExperts,
  listTrainRuns,
  saveCheckpoint,
  setRunStatus,
  updateExpert,
} from './training';
import type { TrainRunRecord } from './training-types';

let n = 0;
const opened: StudioDB[] = [];
afterEach(() => {
  for (const d of opened.splice(0)) d.close();
});
async function fresh(version?: number) {
  const db = await openStudioDb(`train-store-${++n}-${Date.now()}`, version);
  opened.push(db);
  return db;
}

const config = { method: 'adapter', steps: 10, batchSize: 4, checkpointEvery: 5 } as unknown as TrainConfig;
const prog = (step: number): TrainProgress => ({
  step,
  totalSteps: 10,
  loss: 2 - step / 10,
  lr: 1e-3,
  gradNorm: 1,
  elapsedS: step,
  etaS: 10 - step,
});
const run = (id: string, createdAt: string): TrainRunRecord => ({
  id,
  createdAt,
  updatedAt: createdAt,
  status: 'running',
  step: 0,
  totalSteps: 10,
  pairs: 2,
  history: [],
  expertId: null,
  error: null,
  spec: {
    name: `e-${id}`,
    baseModel: 'glove',
    data: { kind: 'dataset', dataset: 'demo', split: 'test' },
    mining: null,
    config,
    dev: null,
  },
});
const ckpt = (runId: string, step: number): TrainCheckpoint => ({
  runId,
  step,
  config,
  params: { W: new Float32Array([step, 1]) },
  m: { W: new Float32Array([0.5, 0]) },
  v: { W: new Float32Array([0.25, 0]) },
  history: Array.from({ length: step }, (_, i) => prog(i + 1)),
});

describe('training store', () => {
  it('keeps a run, its pairs and its latest checkpoint; the record follows the checkpoint step', async () => {
    const db = await fresh();
    const pairs = [
      { query: 'q1', positive: 'p1', negatives: ['n1'] },
      { query: 'q2', positive: 'p2' },
    ];
    await createTrainRun(run('r1', '2026-01-01T00:00:00Z'), pairs, db);
    await createTrainRun(run('r2', '2026-01-02T00:00:00Z'), [], db);
    expect((await listTrainRuns(db)).map((r) => r.id)).toEqual(['r2', 'r1']);
    expect(await getTrainPairs('r1', db)).toEqual(pairs);
    expect(await getCheckpoint('r1', db)).toBeUndefined();

    await saveCheckpoint(ckpt('r1', 5), db);
    const rec = await getTrainRun('r1', db);
    expect(rec).toMatchObject({ step: 5, status: 'running' });
    expect(rec.history.map((h) => h.step)).toEqual([1, 2, 3, 4, 5]);
    const c = await getCheckpoint('r1', db);
    expect(c?.step).toBe(5);
    expect([...(c?.params.W ?? [])]).toEqual([5, 1]);
    expect(c?.m.W).toBeInstanceOf(Float32Array);

    await expect(saveCheckpoint(ckpt('nope', 5), db)).rejects.toMatchObject({
      name: 'TrainRunNotFoundError',
    });
    expect((await setRunStatus('r2', 'failed', 'boom', db)).error).toBe('boom');
    await deleteTrainRun('r2', db);
    expect((await listTrainRuns(db)).map((r) => r.id)).toEqual(['r1']);
    await expect(getTrainPairs('r2', db)).rejects.toThrow(/no training run "r2"/);
  });

  it('finishes a run into an expert with weights; rename, delete (with its cached embeddings)', async () => {
    const db = await fresh();
    await createTrainRun(run('r1', '2026-01-01T00:00:00Z'), [], db);
    const expert: ExpertRecord = {
      id: 'x1',
      name: 'first',
      baseModel: 'glove',
      method: 'adapter',
      config,
      data: { source: 'demo/test', pairs: 2, negatives: 'none' },
      templates: { query: '{text}', passage: '{text}' },
      createdAt: '2026-01-01T00:00:00Z',
      history: [prog(10)],
      metrics: { 'dev ndcg@10': 0.5 },
    };
    const done = await finishTrainRun(
      ckpt('r1', 10),
      expert,
      [{ name: 'W', shape: [2], data: new Float32Array([3, 4]) }],
      db,
    );
    expect(done).toMatchObject({ status: 'done', step: 10, expertId: 'x1' });
    const got = await getExpert('x1', db);
    expect(got.expert.name).toBe('first');
    expect([...got.weights[0].data]).toEqual([3, 4]);

    const renamed = await updateExpert('x1', { name: 'renamed', metrics: { 'ndcg@10': 0.6 } }, db);
    expect(renamed.name).toBe('renamed');
    expect(renamed.metrics).toEqual({ 'dev ndcg@10': 0.5, 'ndcg@10': 0.6 });
    expect((await listExperts(db)).map((e) => e.name)).toEqual(['renamed']);

    const cache = new IdbEmbeddingCache(db);
    await cache.put(`${expertModelId('x1')}|demo|{text}|passage|chunk0`, new Float32Array([1]));
    await cache.put('glove|demo|{text}|passage|chunk0', new Float32Array([2]));
    await deleteExpert('x1', db);
    await expect(getExpert('x1', db)).rejects.toMatchObject({ name: 'ExpertNotFoundError' });
    expect(await cache.get(`${expertModelId('x1')}|demo|{text}|passage|chunk0`)).toBeUndefined();
    expect(await cache.get('glove|demo|{text}|passage|chunk0')).toBeDefined();
  });

  it('v5 -> v6 keeps imported models and adds the training stores', async () => {
    const name = `train-mig-${Date.now()}`;
    const v5 = await openStudioDb(name, 5);
    await saveModelRecord(
      {
        id: 'm',
        name: 'm',
        source: 'hub',
        origin: 'org/m',
        engine: 'native',
        kind: 'transformer',
        dim: 4,
        importedAt: 't',
        description: '',
        details: {} as never,
        defaults: { query: '{text}', passage: '{text}', instruction: null },
      },
      null,
      v5,
    );
    expect(v5.objectStoreNames.contains('trainRuns')).toBe(false);
    v5.close();
    const db = await openStudioDb(name);
    opened.push(db);
    expect((await listModelRecords(db)).map((m) => m.id)).toEqual(['m']);
    for (const s of ['trainRuns', 'trainData', 'trainCheckpoints', 'experts', 'expertWeights'] as const)
      expect(db.objectStoreNames.contains(s)).toBe(true);
    expect(await listTrainRuns(db)).toEqual([]);
  });
});
