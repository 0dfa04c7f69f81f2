import { describe, expect, it } from 'vitest';
import { createCpuBackend } from '../gpu/cpu';
import { createAdapterTrainable } from './adapter';
import { defaultTrainConfig } from './defaults';
import { batchIndices, trainRun } from './trainer';
import { fakeEmbedder } from '../testing/train-support';
import type { TrainCheckpoint, TrainConfig, TrainingPair } from './types';

const pairs: TrainingPair[] = Array.from({ length: 24 }, (_, i) => ({
  query: `q${i}`,
  positive: `p${i}`,
  negatives: [`n${i}`, `m${i}`],
}));
const templates = { query: 'query: {text}', passage: 'passage: {text}' };

function config(over: Partial<TrainConfig> = {}): TrainConfig {
  return {
    ...defaultTrainConfig('adapter'),
    adapter: { kind: 'lowrank', rank: 4 },
    steps: 6,
    batchSize: 8,
    warmupSteps: 2,
    lr: 0.05,
    checkpointEvery: 0,
    ...over,
  };
}

function trainable() {
  return createAdapterTrainable(fakeEmbedder(16), createCpuBackend(), { kind: 'lowrank', rank: 4 }, 11);
}

describe('trainRun', () => {
  it('batches are a seeded permutation per epoch', () => {
    const seen = new Set([0, 1, 2].flatMap((s) => batchIndices(24, 8, 42, s)));
    expect(seen.size).toBe(24);
    expect(batchIndices(24, 8, 42, 3)).not.toEqual(batchIndices(24, 8, 42, 0));
    expect(batchIndices(24, 8, 42, 4)).toEqual(batchIndices(24, 8, 42, 4));
  });

  it('lowers the loss and reports progress every step', async () => {
    const progress: number[] = [];
    const { history } = await trainRun({
      runId: 'r',
      trainable: trainable(),
      pairs,
      config: config({ steps: 30 }),
      templates,
      onProgress: (p) => progress.push(p.step),
    });
    expect(progress).toEqual(Array.from({ length: 30 }, (_, i) => i + 1));
    const first = history.slice(0, 3).reduce((s, h) => s + h.loss, 0);
    const last = history.slice(-3).reduce((s, h) => s + h.loss, 0);
    expect(last).toBeLessThan(first * 0.8);
    expect(history[0].lr).toBeCloseTo(0.025, 8);
    expect(history.every((h) => h.gradNorm > 0)).toBe(true);
    // no time estimate from the warm-up step alone; from the second step on, one
    expect(history[0].etaS).toBeNaN();
    expect(history.slice(1).every((h) => Number.isFinite(h.etaS))).toBe(true);
  });

  it('resume after 3 steps gives the weights of an uninterrupted 6-step run', async () => {
    const full = await trainRun({ runId: 'r', trainable: trainable(), pairs, config: config(), templates });
    const cks: TrainCheckpoint[] = [];
    const part = trainable();
    await trainRun({
      runId: 'r',
      trainable: part,
      pairs,
      config: config({ steps: 6, checkpointEvery: 3 }),
      templates,
      onCheckpoint: (c) => void cks.push(c),
    });
    const at3 = cks.find((c) => c.step === 3)!;
    expect(at3.history).toHaveLength(3);
    const resumed = await trainRun({
      runId: 'r',
      trainable: trainable(),
      pairs,
      config: config(),
      templates,
      resume: at3,
    });
    expect(resumed.history.map((h) => h.step)).toEqual([1, 2, 3, 4, 5, 6]);
    for (const name of Object.keys(full.checkpoint.params)) {
      const a = full.checkpoint.params[name];
      const b = resumed.checkpoint.params[name];
      expect(a.some((x) => x !== 0)).toBe(true);
      for (let i = 0; i < a.length; i++) expect(Math.abs(a[i] - b[i])).toBeLessThan(1e-6);
    }
    resumed.history.forEach((h, i) => expect(h.loss).toBeCloseTo(full.history[i].loss, 5));
  });

  it('cancels with an AbortError and no checkpoint', async () => {
    const ac = new AbortController();
    const cks: TrainCheckpoint[] = [];
    const run = trainRun({
      runId: 'r',
      trainable: trainable(),
      pairs,
      config: config({ checkpointEvery: 1 }),
      templates,
      signal: ac.signal,
      onProgress: (p) => p.step === 2 && ac.abort(),
      onCheckpoint: (c) => void cks.push(c),
    });
    await expect(run).rejects.toMatchObject({ name: 'AbortError' });
    expect(cks.map((c) => c.step)).toEqual([1]);
  });

  it('refuses pairs without enough hard negatives', async () => {
    const bad = pairs.map((p, i) => (i === 5 ? { query: p.query, positive: p.positive } : p));
    await expect(
      trainRun({ runId: 'r', trainable: trainable(), pairs: bad, config: config(), templates }),
    ).rejects.toThrow(/pair 5 has 0 negatives/);
  });
});
