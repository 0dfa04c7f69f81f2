/**
 * The worker's `handoff-project` (the Train tab's "Python project"): a GloVe adapter expert trained and
 * evaluated on the demo in the worker comes back as one .zip with its run's pairs, train.py, and the demo as
 * a BEIR folder evaluate.py reads; an expert with no run in the studio (imported) is refused, naming why.
 */
import 'fake-indexeddb/auto';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { expertModelId } from '../../../experts/record';
import type { TrainSpec } from '../../../store/training-types';
import { nodeEngineDeps } from '../../../testing/engine-deps';
import { defaultTrainConfig } from '../../../train/defaults';
import { connectInProcess } from '../../local';

const dir = mkdtempSync(join(tmpdir(), 'stm-handoff-worker-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const spec: TrainSpec = {
  name: 'glove demo',
  baseModel: 'glove',
  data: { kind: 'dataset', dataset: 'demo', split: 'test' },
  mining: null,
  config: {
    ...defaultTrainConfig('adapter'),
    steps: 4,
    batchSize: 8,
    warmupSteps: 0,
    checkpointEvery: 4,
    devEvery: 0,
    lr: 7e-3,
    hardNegatives: 0,
    adapter: { kind: 'lowrank', rank: 8 },
  },
  dev: null,
};

describe('worker handoff-project', () => {
  it("zips a trained expert's project with its run's pairs and the datasets it was evaluated on", async () => {
    const { client } = connectInProcess(nodeEngineDeps(`handoff-test-${Date.now()}`));
    await client.request('init', { baseUrl: 'http://localhost/', backend: 'cpu' });
    await client.request('load-demo', {});
    const run = await client.request('train', { spec, backend: 'cpu' });
    const id = run.expertId!;
    await client.request('evaluate', {
      dataset: 'demo',
      split: 'test',
      retriever: { model: expertModelId(id) },
      backend: 'cpu',
    });

    await expect(client.request('handoff-project', { expert: id })).rejects.toMatchObject({
      name: 'HandoffError',
      message: expect.stringContaining('built-in model "glove"'),
    });
    const z = await client.request('handoff-project', { expert: id, base: 'BAAI/bge-small-en-v1.5' });
    expect(z.name).toBe('glove-demo-python.zip');
    const file = join(dir, z.name);
    writeFileSync(file, new Uint8Array(z.data));
    const py = spawnSync(
      'python3',
      [
        '-c',
        `import ast, json, sys, zipfile
z = zipfile.ZipFile(sys.argv[1])
ast.parse(z.read("train.py").decode())
cfg = ast.literal_eval(z.read("train.py").decode().split("CONFIG = ")[1].split("\\n\\n\\n")[0])
print(json.dumps({"names": sorted(z.namelist()), "lr": cfg["learning_rate"], "batch": cfg["batch_size"],
  "pairs": len(z.read("data/train.jsonl").decode().splitlines()),
  "qrels": len(z.read("beir/demo/qrels/test.tsv").decode().splitlines()) - 1,
  "docs": len(z.read("beir/demo/corpus.jsonl").decode().splitlines())}))`,
        file,
      ],
      { encoding: 'utf8' },
    );
    expect(py.stderr).toBe('');
    const got = JSON.parse(py.stdout) as Record<string, unknown>;
    expect(got).toMatchObject({ lr: 7e-3, batch: 8, pairs: run.pairs, docs: 240 });
    expect(got.names).toEqual([
      'README.md',
      'beir/demo/corpus.jsonl',
      'beir/demo/qrels/test.tsv',
      'beir/demo/queries.jsonl',
      'data/train.jsonl',
      'evaluate.py',
      'requirements.txt',
      'train.py',
    ]);
    expect(got.qrels).toBeGreaterThan(48);

    // a saved merge: merge.yml over one training project per merged expert
    const b = await client.request('train', {
      spec: { ...spec, name: 'glove demo B', config: { ...spec.config, seed: 9 } },
      backend: 'cpu',
    });
    const merged = await client.request('merge-save', {
      recipe: {
        method: 'ties',
        baseModel: 'glove',
        experts: [id, b.expertId!].map((e, i) => ({
          id: e,
          name: `e${i}`,
          params: { weight: 0.5, density: 0.5 },
        })),
        options: {},
      },
      name: 'A+B ties',
      backend: 'cpu',
    });
    const mz = await client.request('handoff-project', { expert: merged.id, base: 'BAAI/bge-small-en-v1.5' });
    const mfile = join(dir, mz.name);
    writeFileSync(mfile, new Uint8Array(mz.data));
    const my = spawnSync(
      'python3',
      [
        '-c',
        `import json, sys, yaml, zipfile
z = zipfile.ZipFile(sys.argv[1])
print(json.dumps({"names": sorted(n for n in z.namelist() if not n.startswith("beir/")), "y": yaml.safe_load(z.read("merge.yml"))}))`,
        mfile,
      ],
      { encoding: 'utf8' },
    );
    expect(my.stderr).toBe('');
    const m = JSON.parse(my.stdout) as { names: string[]; y: Record<string, unknown> };
    expect(m.names).toEqual([
      'README.md',
      'evaluate.py',
      'experts/glove-demo-B/data/train.jsonl',
      'experts/glove-demo-B/train.py',
      'experts/glove-demo/data/train.jsonl',
      'experts/glove-demo/train.py',
      'merge.yml',
      'requirements-merge.txt',
      'requirements.txt',
    ]);
    expect(m.y).toMatchObject({
      merge_method: 'ties',
      base_model: 'BAAI/bge-small-en-v1.5',
      models: [{ model: 'experts/glove-demo/merged' }, { model: 'experts/glove-demo-B/merged' }],
    });

    // an expert with no run here: its pairs are unknown
    const files = await client.request('export-expert', { expert: id });
    const copy = await client.request('import-expert', {
      files: files.map((f) => new File([f.data], f.name.split('/')[1])),
      name: 'imported',
      copy: true,
    });
    await expect(client.request('handoff-project', { expert: copy.id, base: 'x/y' })).rejects.toThrow(
      /"imported" has no training run in this studio/,
    );
    await expect(client.request('handoff-project', { expert: '' } as never)).rejects.toThrow(/needs expert/);
  }, 60_000);
});
