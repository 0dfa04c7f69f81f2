import { copyFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { SafetensorsFile } from '../models/hf/safetensors';
import {
  CheckpointError,
  hasCheckpoint,
  readCheckpointDir,
  sha256Hex,
  writeCheckpointDir,
  type RunInputs,
} from './checkpoint-node';
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

describe('checkpoints: a crash, a changed input, a truncated file', () => {
  const inputs: RunInputs = {
    dataFile: 'pairs.jsonl',
    dataSha256: sha256Hex('pairs v1'),
    pairsSha256: sha256Hex('drawn v1'),
    baseModel: 'glove',
    baseSha256: sha256Hex('glove'),
    templatesSha256: sha256Hex('{text}'),
  };
  const at = (step: number): TrainCheckpoint => ({
    runId: 'r2',
    step,
    config: defaultTrainConfig('adapter'),
    params: { w: Float32Array.from([step, 1]) },
    m: { w: Float32Array.from([0, 0]) },
    v: { w: Float32Array.from([0, 0]) },
    history: [],
  });

  it('leaves no temporary files after a completed write, and records the step in the safetensors', async () => {
    const d = mkdtempSync(join(dir, 'ok-'));
    await writeCheckpointDir(d, at(4), inputs);
    expect(readdirSync(d).sort()).toEqual(['checkpoint.json', 'checkpoint.safetensors']);
    const b = readFileSync(join(d, 'checkpoint.safetensors'));
    const meta = SafetensorsFile.open(new Uint8Array(b).buffer, 'x').metadata;
    expect(meta).toMatchObject({ step: '4', run_id: 'r2', data_sha256: inputs.dataSha256 });
    expect((await readCheckpointDir(d, inputs)).step).toBe(4);
  });

  it('refuses a safetensors of step k+1 beside the json of step k (a crash between the renames)', async () => {
    const d = mkdtempSync(join(dir, 'crash-'));
    const later = mkdtempSync(join(dir, 'later-'));
    await writeCheckpointDir(d, at(4), inputs);
    await writeCheckpointDir(later, at(6), inputs);
    copyFileSync(join(later, 'checkpoint.safetensors'), join(d, 'checkpoint.safetensors'));
    await expect(readCheckpointDir(d, inputs)).rejects.toThrow(
      /checkpoint\.safetensors and checkpoint\.json are not from the same checkpoint \(step 6 vs 4/,
    );
    await expect(readCheckpointDir(d)).rejects.toThrow(CheckpointError);
  });

  it('refuses a changed pairs file, base model or templates, naming what differs', async () => {
    const d = mkdtempSync(join(dir, 'inputs-'));
    await writeCheckpointDir(d, at(2), inputs);
    await expect(readCheckpointDir(d, { ...inputs, dataSha256: sha256Hex('pairs v2') })).rejects.toThrow(
      /was trained on pairs\.jsonl .* but the pairs file pairs\.jsonl differs/,
    );
    await expect(readCheckpointDir(d, { ...inputs, pairsSha256: sha256Hex('drawn v2') })).rejects.toThrow(
      /other pairs drawn from pairs\.jsonl than this command draws \(--max-pairs or --seed changed\?\)/,
    );
    await expect(
      readCheckpointDir(d, { ...inputs, baseModel: 'use-lite', baseSha256: sha256Hex('use-lite') }),
    ).rejects.toThrow(/started from base model glove .* but the base model is now use-lite/);
    await expect(readCheckpointDir(d, { ...inputs, baseSha256: sha256Hex('glove v2') })).rejects.toThrow(
      /base model is now glove/,
    );
    await expect(readCheckpointDir(d, { ...inputs, templatesSha256: sha256Hex('Q {text}') })).rejects.toThrow(
      /other query\/passage templates/,
    );
  });

  it('names a truncated checkpoint.json and says what to do', async () => {
    const d = mkdtempSync(join(dir, 'trunc-'));
    await writeCheckpointDir(d, at(2), inputs);
    const f = join(d, 'checkpoint.json');
    writeFileSync(f, readFileSync(f, 'utf8').slice(0, 40));
    const err = await readCheckpointDir(d, inputs).catch((e: Error) => e);
    expect(err).toBeInstanceOf(CheckpointError);
    expect((err as Error).message).toContain(`${f}: not a readable checkpoint`);
    expect((err as Error).message).toContain('to start the run over');
  });
});
