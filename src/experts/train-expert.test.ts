import { describe, expect, it } from 'vitest';
import { MemoryEmbeddingCache, textKey } from '../eval/embed-cache';
import { createCpuBackend } from '../gpu/cpu';
import { fakeEmbedder } from '../testing/train-support';
import { defaultMiningConfig, defaultTrainConfig } from '../train/defaults';
import type { TrainCheckpoint, TrainConfig, TrainingPair } from '../train/types';
import type { ExpertWeights } from './files';
import type { ExpertRecord } from './record';
import { trainExpert, type ExpertIo, type ExpertSpec } from './train-expert';

const pairs: TrainingPair[] = Array.from({ length: 24 }, (_, i) => ({ query: `q${i}`, positive: `p${i}` }));
const config = (n: number): TrainConfig => ({
  ...defaultTrainConfig('adapter'),
  adapter: { kind: 'lowrank', rank: 4 },
  steps: Math.floor(n / 8) * 2,
  batchSize: 8,
  warmupSteps: 1,
  lr: 0.05,
  checkpointEvery: 2,
});

function spec(over: Partial<ExpertSpec> = {}): ExpertSpec {
  return {
    baseModel: 'fake',
    pairs,
    mining: {
      config: { ...defaultMiningConfig(), numNegatives: 1 },
      corpus: pairs.map((p) => p.positive),
      embedder: fakeEmbedder(16),
      dropShort: true,
      seed: 7,
    },
    config,
    expert: { id: 'x1', name: 'test expert', source: 'pairs.jsonl', devMetric: false },
    ...over,
  };
}

type Saved = { record: ExpertRecord; weights: ExpertWeights };

function io(over: Partial<ExpertIo<Saved>> = {}): ExpertIo<Saved> & { checkpoints: TrainCheckpoint[] } {
  const backend = createCpuBackend();
  const base = fakeEmbedder(16);
  const checkpoints: TrainCheckpoint[] = [];
  return {
    checkpoints,
    withBackend: (work) => work(backend),
    loadBase: () => Promise.resolve({ base, templates: base.templates }),
    begin: () => Promise.resolve('run-1'),
    onCheckpoint: (c) => {
      checkpoints.push(c);
      return Promise.resolve();
    },
    save: (record, weights) => Promise.resolve({ record, weights }),
    ...over,
  };
}

describe('trainExpert', () => {
  it('mines, trains and builds the expert record; mining and the adapter share the cache', async () => {
    const cache = new MemoryEmbeddingCache();
    let kept = 0;
    const out = await trainExpert(spec(), io({ cache, onMined: (_r, k) => (kept = k.length) }));
    expect(kept).toBe(24);
    expect(out.record).toMatchObject({
      id: 'x1',
      name: 'test expert',
      baseModel: 'fake',
      method: 'adapter',
      data: { source: 'pairs.jsonl', pairs: 24, negatives: '1 mined' },
      templates: { query: 'query: {text}', passage: 'passage: {text}' },
    });
    expect(out.record.history).toHaveLength(6);
    expect(out.record.metrics).toBeUndefined();
    expect([...out.weights.keys()].sort()).toEqual(['adapter.A', 'adapter.B']);
    expect(await cache.get(textKey('fake', 'query', 'query: q0'))).toBeInstanceOf(Float32Array);
  });

  it('a run resumed from a checkpoint ends with the weights of an uninterrupted run', async () => {
    const full = io();
    const a = await trainExpert(spec(), full);
    const at = full.checkpoints.find((c) => c.step === 2)!;
    const b = await trainExpert(spec(), io({ resume: () => Promise.resolve(at) }));
    for (const [name, w] of a.weights) expect(b.weights.get(name)!.data).toEqual(w.data);
    expect(b.record.history.map((h) => h.loss)).toEqual(a.record.history.map((h) => h.loss));
  });

  it('refuses LoRA over a base that is not on the studio kernels, naming the model', async () => {
    const lora = spec({ mining: null, config: (n) => ({ ...config(n), method: 'lora' }) });
    await expect(trainExpert(lora, io())).rejects.toThrow(/LoRA training needs .* "fake"/);
  });
});
