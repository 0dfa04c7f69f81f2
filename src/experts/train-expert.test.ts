import { describe, expect, it } from 'vitest';
import { FINGERPRINT_SCHEME, fingerprintList } from '../data/fingerprint';
import type { Dataset } from '../data/types';
import { MemoryEmbeddingCache, textKey } from '../eval/embed-cache';
import { evaluate, type Retriever } from '../eval/evaluate';
import { createCpuBackend } from '../gpu/cpu';
import { fakeEmbedder } from '../testing/train-support';
import { defaultMiningConfig, defaultTrainConfig } from '../train/defaults';
import type { TrainCheckpoint, TrainConfig, TrainingPair } from '../train/types';
import { expertEmbedder } from './embedder';
import { parseExpertRecord, type ExpertWeights } from './files';
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

describe('leakage guard: fingerprints in the record, overlap in every evaluation', () => {
  const toy: Dataset = {
    name: 'toy',
    docs: Array.from({ length: 30 }, (_, i) => ({ id: `d${i}`, title: '', text: `p${i}` })),
    // q0..q23 are the training queries (written otherwise: case and spaces do not hide them)
    queries: Array.from({ length: 30 }, (_, i) => ({ id: `${i}`, text: i % 2 ? `  Q${i} ` : `q${i}` })),
    qrels: { test: new Map(Array.from({ length: 30 }, (_, i) => [`${i}`, new Map([[`d${i}`, 1]])])) },
  };

  it('records the fingerprints of the distinct training queries and positives', async () => {
    const out = await trainExpert(spec(), io());
    expect(out.record.fingerprints).toEqual({
      scheme: FINGERPRINT_SCHEME,
      queries: fingerprintList(pairs.map((p) => p.query)),
      positives: fingerprintList(pairs.map((p) => p.positive)),
    });
    expect(out.record.fingerprints!.queries).toHaveLength(24);
  });

  it('an expert evaluated on its training queries reports the overlap; unknown (old record) is null, BM25 has none', async () => {
    const out = await trainExpert(spec(), io());
    const backend = createCpuBackend();
    const base = fakeEmbedder(16);
    const expert = expertEmbedder(base, out.record, out.weights, 'expert:x1');
    const ev = async (r: Retriever) => (await evaluate({ dataset: toy, split: 'test', retriever: r })).report;
    expect((await ev({ kind: 'dense', embedder: expert, backend })).overlapQueries).toBe(24);
    const { fingerprints: _f, ...old } = out.record;
    const unknown = expertEmbedder(base, old, out.weights, 'expert:old');
    expect((await ev({ kind: 'dense', embedder: unknown, backend })).overlapQueries).toBeNull();
    expect('overlapQueries' in (await ev({ kind: 'dense', embedder: base, backend }))).toBe(false);
    expect('overlapQueries' in (await ev({ kind: 'bm25' }))).toBe(false);
    // a disjoint split: the 6 queries it was not trained on
    const held: Dataset = {
      ...toy,
      qrels: { test: new Map([...toy.qrels.test].filter(([q]) => Number(q) >= 24)) },
    };
    const r = await evaluate({
      dataset: held,
      split: 'test',
      retriever: { kind: 'dense', embedder: expert, backend },
    });
    expect(r.report).toMatchObject({ queries: 6, overlapQueries: 0 });
  });

  it('an expert.json without fingerprints still loads; malformed fingerprints are refused naming the file', () => {
    const rec = {
      id: 'e',
      name: 'old',
      baseModel: 'use-lite',
      method: 'adapter',
      config: defaultTrainConfig('adapter'),
      data: { source: 's', pairs: 1, negatives: 'none' },
      templates: { query: '{text}', passage: '{text}' },
      createdAt: '2026-01-01T00:00:00.000Z',
      history: [],
    };
    expect(parseExpertRecord(JSON.stringify(rec)).fingerprints).toBeUndefined();
    expect(() =>
      parseExpertRecord(JSON.stringify({ ...rec, fingerprints: { scheme: 'x', queries: [1] } })),
    ).toThrow(/expert.json: "fingerprints.queries"/);
  });
});
