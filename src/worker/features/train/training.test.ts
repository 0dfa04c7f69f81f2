import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import { expertFiles } from '../../../experts/files';
import { expertModelId } from '../../../experts/record';
import { adapterExpertRecord } from '../../../testing/expert-record';
import { initAdapterWeights } from '../../../train/adapter';
import { getCheckpoint } from '../../../store/training';
import type { TrainSpec } from '../../../store/training-types';
import { defaultTrainConfig } from '../../../train/defaults';
import type { TrainProgress } from '../../../train/types';
import { nodeEngineDeps } from '../../../testing/engine-deps';
import { connectInProcess } from '../../local';

let n = 0;
function setup() {
  const dbName = `training-test-${++n}-${Date.now()}`;
  const deps = nodeEngineDeps(dbName);
  const { client } = connectInProcess(deps);
  return { client, db: deps.db };
}

function spec(steps: number, checkpointEvery: number): TrainSpec {
  const config = {
    ...defaultTrainConfig('adapter'),
    steps,
    batchSize: 8,
    warmupSteps: 2,
    checkpointEvery,
    devEvery: 4,
    lr: 5e-3,
    hardNegatives: 0,
    adapter: { kind: 'lowrank' as const, rank: 8 },
  };
  return {
    name: 'glove demo',
    baseModel: 'glove',
    data: { kind: 'dataset', dataset: 'demo', split: 'test' },
    mining: null,
    config,
    dev: { dataset: 'demo', split: 'test', maxQueries: 20 },
  };
}

describe('worker training protocol', () => {
  it('rejects a bad recipe naming the field', async () => {
    const { client } = setup();
    const bad = spec(4, 2);
    bad.config.batchSize = 0;
    await expect(client.request('train', { spec: bad, backend: 'cpu' })).rejects.toMatchObject({
      name: 'ProtocolError',
      message: 'config.batchSize must be an integer in 1..4096',
    });
    await expect(client.request('train', { resume: 'nope', backend: 'cpu' })).rejects.toMatchObject({
      name: 'TrainRunNotFoundError',
    });
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
    const done = await client.request(
      'train',
      { resume: run.id, backend: 'cpu' },
      (p) => p.train && resumed.push(p.train.step),
    );
    expect(resumed).toEqual(Array.from({ length: 30 - k }, (_, i) => k + 1 + i));
    expect(done).toMatchObject({ status: 'done', step: 30, expertId: expect.any(String) });
    expect(done.history.map((p) => p.step)).toEqual(Array.from({ length: 30 }, (_, i) => i + 1));

    const [expert] = await client.request('list-experts', {});
    expect(expert).toMatchObject({
      id: done.expertId,
      baseModel: 'glove',
      method: 'adapter',
      data: { source: 'demo/test', pairs: run.pairs },
    });
    expect(expert.metrics?.['dev ndcg@10']).toBeGreaterThan(0);
    // the trained weights moved (B starts at zero)
    expect([...(ckpt?.params['adapter.B'] ?? [])].some((x) => x !== 0)).toBe(true);

    const rec = await client.request('evaluate', {
      dataset: 'demo',
      split: 'test',
      retriever: { model: expertModelId(expert.id) },
      backend: 'cpu',
    });
    expect(rec.retriever).toBe(expertModelId(expert.id));
    expect(rec.report.metrics['ndcg@10']).toBeGreaterThan(0.2);

    const renamed = await client.request('rename-expert', { expert: expert.id, name: 'renamed' });
    expect(renamed.name).toBe('renamed');
    const files = await client.request('export-expert', { expert: expert.id });
    expect(files.map((f) => f.name).sort()).toEqual(['renamed/adapter.safetensors', 'renamed/expert.json']);
    const picked = files.map((f) => new File([f.data], f.name.split('/')[1]));
    // its own export is recognised (same weights): refused unless imported as a copy
    await expect(client.request('import-expert', { files: picked, name: 'copy' })).rejects.toMatchObject({
      name: 'ExpertExistsError',
      message: expect.stringContaining('already imported as "renamed"'),
    });
    expect(await client.request('list-experts', {})).toHaveLength(1);
    const imported = await client.request('import-expert', { files: picked, name: 'copy', copy: true });
    expect(imported).toMatchObject({ name: 'copy', baseModel: 'glove', method: 'adapter' });
    const again = await client.request('evaluate', {
      dataset: 'demo',
      split: 'test',
      retriever: { model: expertModelId(imported.id) },
      backend: 'cpu',
    });
    expect(again.report.metrics['ndcg@10']).toBeCloseTo(rec.report.metrics['ndcg@10'], 6);
    await client.request('delete-expert', { expert: expert.id });
    expect((await client.request('list-experts', {})).map((e) => e.name)).toEqual(['copy']);
  }, 120_000);

  it('trains from a pairs JSONL with mined hard negatives, and names file:line of a bad pairs file', async () => {
    const { client, db } = setup();
    await client.request('init', { baseUrl: 'http://localhost/', backend: 'cpu' });
    const lines = [
      {
        query: 'how do vaccines work',
        positive: 'A vaccine shows the immune system a harmless piece of a germ.',
      },
      {
        query: 'why is the sky blue',
        positive: 'Sunlight is scattered by air molecules, blue light the most.',
      },
      {
        query: 'arch bridge load',
        positive: 'An arch bridge carries its load outwards along the curve of the arch.',
      },
      {
        query: 'treating a migraine',
        positive: 'Migraine attacks can be eased with painkillers taken early and rest in a dark room.',
      },
      {
        query: 'car suspension springs',
        positive: 'A suspension uses springs and dampers to keep the tyres on the road.',
      },
      {
        query: 'insulin and blood sugar',
        positive: 'Insulin lets cells take up glucose, lowering blood sugar.',
      },
    ];
    const text = lines.map((l) => JSON.stringify(l)).join('\n');
    const bad = new File([`${JSON.stringify(lines[0])}\n{"query": "x"}\n`], 'pairs.jsonl');
    const s0 = spec(4, 2);
    const sp: TrainSpec = {
      ...s0,
      name: 'pairs',
      data: { kind: 'pairs', fileName: 'pairs.jsonl' },
      dev: null,
      config: { ...s0.config, batchSize: 3, devEvery: 0, hardNegatives: 1 },
    };
    await expect(client.request('train', { spec: sp, pairsFile: bad, backend: 'cpu' })).rejects.toMatchObject(
      { name: 'DataError', file: 'pairs.jsonl', line: 2 },
    );
    expect(await client.request('list-train-runs', {})).toEqual([]);
    const phases = new Set<string>();
    const done = await client.request(
      'train',
      {
        spec: { ...sp, mining: { negatives: 1 } },
        pairsFile: new File([text], 'pairs.jsonl'),
        backend: 'cpu',
      },
      (p) => phases.add(p.phase),
    );
    expect([...phases]).toEqual(expect.arrayContaining(['mine', 'train', 'checkpoint']));
    expect(done).toMatchObject({ status: 'done', step: 4, pairs: 6 });
    const { getTrainPairs } = await import('../../../store/training');
    const pairs = await getTrainPairs(done.id, await db());
    // each mined negative is another pair's positive, never its own
    for (const p of pairs) {
      expect(p.negatives).toHaveLength(1);
      expect(p.negatives?.[0]).not.toBe(p.positive);
      expect(lines.map((l) => l.positive)).toContain(p.negatives?.[0]);
    }
    const [expert] = await client.request('list-experts', {});
    expect(expert.data).toEqual({ source: 'pairs.jsonl', pairs: 6, negatives: '1 mined' });
  }, 60_000);

  it('trains LoRA inside USE-lite for a few steps; the expert differs from the base and evaluates', async () => {
    const { client, db } = setup();
    await client.request('init', { baseUrl: 'http://localhost/', backend: 'cpu' });
    await client.request('load-demo', {});
    const s0 = spec(2, 1);
    const lora: TrainSpec = {
      ...s0,
      name: 'lora',
      baseModel: 'use-lite',
      dev: null,
      config: {
        ...defaultTrainConfig('lora'),
        steps: 2,
        batchSize: 4,
        warmupSteps: 0,
        lr: 1e-2,
        checkpointEvery: 1,
        devEvery: 0,
        hardNegatives: 0,
        lora: { rank: 4, alpha: 8, dropout: 0, targetModules: 'all-linear' },
      },
    };
    const done = await client.request('train', { spec: lora, backend: 'cpu' });
    expect(done).toMatchObject({ status: 'done', step: 2 });
    const files = await client.request('export-expert', { expert: done.expertId as string });
    expect(files.map((f) => f.name.split('/')[1]).sort()).toEqual([
      'adapter_config.json',
      'adapter_model.safetensors',
      'expert.json',
    ]);
    // B starts at zero (the base exactly); two AdamW steps move every B
    const { getExpert } = await import('../../../store/training');
    const { weights } = await getExpert(done.expertId as string, await db());
    const bs = weights.filter((w) => w.name.includes('lora_B'));
    expect(bs.length).toBeGreaterThan(0);
    for (const w of bs) expect(w.data.some((x) => x !== 0)).toBe(true);
    const e = await client.request('evaluate', {
      dataset: 'demo',
      split: 'test',
      retriever: { model: expertModelId(done.expertId as string) },
      backend: 'cpu',
    });
    expect(e.report.metrics['ndcg@10']).toBeGreaterThan(0.3);
  }, 120_000);

  it('refuses an imported expert whose base is an expert or a model the studio does not hold, without fetching it (issue 8 item 10)', async () => {
    const { client } = setup();
    await client.request('init', { baseUrl: 'http://localhost/', backend: 'cpu' });
    await client.request('load-demo', {});
    const config = { ...defaultTrainConfig('adapter'), adapter: { kind: 'full' as const, rank: 0 } };
    const record = (baseModel: string) =>
      adapterExpertRecord({ name: `over ${baseModel}`, baseModel, config });
    const weights = initAdapterWeights(config.adapter, 100, 1);
    const imp = (baseModel: string) =>
      client.request('import-expert', {
        files: [...expertFiles(record(baseModel), weights)].map(([n, d]) => new File([d], n)),
      });
    const evalOf = (id: string) =>
      client.request('evaluate', {
        dataset: 'demo',
        split: 'test',
        retriever: { model: expertModelId(id) },
        backend: 'cpu',
      });
    const url = await imp('https://models.invalid/org/model');
    await expect(evalOf(url.id)).rejects.toThrow(
      'its base model "https://models.invalid/org/model" is not in the studio: import it in the Models tab first',
    );
    const inner = await imp('glove');
    const outer = await imp(expertModelId(inner.id));
    await expect(evalOf(outer.id)).rejects.toThrow(
      `its base model "${expertModelId(inner.id)}" is another expert; an expert over an expert is not supported`,
    );
  });

  it("refuses to resume a run after its base model's templates changed (issue 8 item 6)", async () => {
    const { client, db } = setup();
    await client.request('init', { baseUrl: 'http://localhost/', backend: 'cpu' });
    await client.request('load-demo', {});
    const h = client.start('train', { spec: { ...spec(12, 2), dev: null }, backend: 'cpu' }, (p) => {
      if (p.train?.step === 3) h.cancel();
    });
    await expect(h.promise).rejects.toMatchObject({ name: 'AbortError' });
    const [run] = await client.request('list-train-runs', {});
    expect((await getCheckpoint(run.id, await db()))?.inputs?.templates).toContain('{text}');
    await client.request('set-templates', {
      model: 'glove',
      templates: { query: 'search: {text}', passage: '{text}', instruction: null },
    });
    await expect(client.request('train', { resume: run.id, backend: 'cpu' })).rejects.toThrow(
      `run "glove demo": the templates of "glove" changed since the run started`,
    );
    await client.request('set-templates', { model: 'glove', templates: null });
    const done = await client.request('train', { resume: run.id, backend: 'cpu' });
    expect(done).toMatchObject({ status: 'done', step: 12 });
  }, 60_000);
});
