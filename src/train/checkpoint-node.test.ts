import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { hasCheckpoint, readCheckpointDir, writeCheckpointDir } from './checkpoint-node';
import { defaultTrainConfig } from './defaults';
import type { TrainCheckpoint } from './types';

const dir = mkdtempSync(join(tmpdir(), 'stm-ck-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('checkpoints on disk', () => {
  it('round-trip params, moments, config and history', async () => {
    expect(hasCheckpoint(dir)).toBe(false);
    const ck: TrainCheckpoint = {
      runId: 'r1',
      step: 7,
      config: defaultTrainConfig('adapter'),
      params: { 'adapter.W': Float32Array.from([1, -2, 3.5]) },
      m: { 'adapter.W': Float32Array.from([0.1, 0, 0]) },
      v: { 'adapter.W': Float32Array.from([1e-8, 2, 3]) },
      history: [
        { step: 7, totalSteps: 10, loss: 1.5, lr: 1e-3, gradNorm: 0.5, elapsedS: 1, etaS: 2, devNdcg10: 0.4 },
      ],
    };
    await writeCheckpointDir(dir, ck);
    expect(hasCheckpoint(dir)).toBe(true);
    const back = await readCheckpointDir(dir);
    expect(back.runId).toBe('r1');
    expect(back.step).toBe(7);
    expect(back.config).toEqual(ck.config);
    expect(back.history).toEqual(ck.history);
    for (const k of ['params', 'm', 'v'] as const)
      expect(Array.from(back[k]['adapter.W'])).toEqual(Array.from(ck[k]['adapter.W']));
  });
});
