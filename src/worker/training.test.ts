import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import { datasetFromFiles } from '../data/files';
import { loadDemoDatasetNode } from '../data/node';
import { evaluate } from '../eval/evaluate';
import { acquireBackend } from '../gpu/select';
import { nodeAssetFetcher } from '../models/node-assets';
import { listModels, loadEmbedder } from '../models/registry';
import { openStudioDb, type StudioDB } from '../store/db';
import { expertModelId, getCheckpoint } from '../store/training';
import type { TrainSpec } from '../store/training-types';
import { defaultTrainConfig } from '../train/defaults';
import type { TrainProgress } from '../train/types';
import type { EngineDeps } from './engine';
import { connectInProcess } from './local';

let n = 0;
function setup() {
  const dbName = `training-test-${++n}-${Date.now()}`;
  let db: Promise<StudioDB> | null = null;
  const deps: EngineDeps = {
    db: () => (db ??= openStudioDb(dbName)),
    acquireBackend, evaluate, loadDemo: loadDemoDatasetNode, datasetFromFiles, listModels, loadEmbedder,
    assetFetcher: () => nodeAssetFetcher(),
  };
  const { client } = connectInProcess(deps);
  return { client, db: deps.db };
}

function spec(steps: number, checkpointEvery: number): TrainSpec {
  const config = { ...defaultTrainConfig('adapter'), steps, batchSize: 8, warmupSteps: 2, checkpointEvery, devEvery: 4, lr: 5e-3, hardNegatives: 0, adapter: { kind: 'lowrank' as const, rank: 8 } };
  return { name: 'glove demo', baseModel: 'glove', data: { kind: 'dataset', dataset: 'demo', split: 'test' }, mining: null, config, dev: { dataset: 'demo', split: 'test', maxQueries: 20 } };
}

describe('worker training protocol', () => {
  it('rejects a bad recipe naming the field', async () => {
    const { client } = setup();
    const bad = spec(4, 2);
    bad.config.batchSize = 0;
    await expect(client.request('train', { spec: bad, backend: 'cpu' })).rejects.toMatchObject({ name: 'ProtocolError', message: 'config.batchSize must be an integer in 1..4096' });
    await expect(client.request('train', { resume: 'nope', backend: 'cpu' })).rejects.toMatchObject({ name: 'TrainRunNotFoundError' });
  });

  it('trains an adapter over GloVe on the demo with progress and checkpoints; cancel keeps the checkpoint; resume continues from it; the expert evaluates', async () => {
    const { client, db } = setup();
    await client.request('init', { baseUrl: 'http://localhost/', backend: 'cpu' });
    await client.request('load-demo', {});
    const steps: TrainProgress[] = [];
    const h = client.start('train', { spec: spec(30, 3), backend: 'cpu' }, (p) => {
      if (p.train) steps.push(p.train);
      if (p.train?.step === 7) h.cancel();
    });
    await expect(h.promise).rejects.toMatchObject({ name: 'AbortError' });
    const [run] = await client.request('list-train-runs', {});
    // the cancel lands a few steps after step 7 (events cross a task boundary): the run stops at a checkpoint k >= 6
    const k = run.step;
    expect(run).toMatchObject({ status: 'cancelled', totalSteps: 30 });
    expect(k % 3 === 0 && k >= 6 && k < 30).toBe(true);
    expect(run.pairs).toBeGreaterThan(40);
    expect(steps.map((s) => s.step).slice(0, 7)).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(steps.every((s) => Number.isFinite(s.loss) && s.loss > 0)).toBe(true);
    expect(steps[3].devNdcg10).toBeGreaterThan(0);
    const ckpt = await getCheckpoint(run.id, await db());
    expect(ckpt?.step).toBe(k);
    expect(ckpt?.history.map((p) => p.step)).toEqual(Array.from({ length: k }, (_, i) => i + 1));
    expect(Object.keys(ckpt?.params ?? {}).sort()).toEqual(['adapter.A', 'adapter.B']);

    const resumed: number[] = [];
    const done = await client.request('train', { resume: run.id, backend: 'cpu' }, (p) => p.train && resumed.push(p.train.step));
    expect(resumed).toEqual(Array.from({ length: 30 - k }, (_, i) => k + 1 + i));
    expect(done).toMatchObject({ status: 'done', step: 30, expertId: expect.any(String) });
    expect(done.history.map((p) => p.step)).toEqual(Array.from({ length: 30 }, (_, i) => i + 1));

    const [expert] = await client.request('list-experts', {});
    expect(expert).toMatchObject({ id: done.expertId, baseModel: 'glove', method: 'adapter', data: { source: 'demo/test', pairs: run.pairs } });
    expect(expert.metrics?.['dev ndcg@10']).toBeGreaterThan(0);
    // the trained weights moved (B starts at zero)
    expect([...(ckpt?.params['adapter.B'] ?? [])].some((x) => x !== 0)).toBe(true);

    const rec = await client.request('evaluate', { dataset: 'demo', split: 'test', retriever: { model: expertModelId(expert.id) }, backend: 'cpu' });
    expect(rec.retriever).toBe(expertModelId(expert.id));
    expect(rec.report.metrics['ndcg@10']).toBeGreaterThan(0.2);

    const renamed = await client.request('rename-expert', { expert: expert.id, name: 'renamed' });
    expect(renamed.name).toBe('renamed');
    const files = await client.request('export-expert', { expert: expert.id });
    expect(files.map((f) => f.name).sort()).toEqual(['renamed/adapter.safetensors', 'renamed/expert.json']);
    const imported = await client.request('import-expert', { files: files.map((f) => new File([f.data], f.name.split('/')[1])), name: 'copy' });
    expect(imported).toMatchObject({ name: 'copy', baseModel: 'glove', method: 'adapter' });
    const again = await client.request('evaluate', { dataset: 'demo', split: 'test', retriever: { model: expertModelId(imported.id) }, backend: 'cpu' });
    expect(again.report.metrics['ndcg@10']).toBeCloseTo(rec.report.metrics['ndcg@10'], 6);
    await client.request('delete-expert', { expert: expert.id });
    expect((await client.request('list-experts', {})).map((e) => e.name)).toEqual(['copy']);
  }, 120_000);
});
