import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { FileEmbeddingCache } from '../eval/embed-cache-node';
import { readExpertDir } from '../experts/files-node';
import { parseTrainArgs } from './args';
import { Reporter } from './progress';
import { runTrain } from './train';

const dir = mkdtempSync(join(tmpdir(), 'stm-cli-train-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const words = ['heart', 'lung', 'kidney', 'liver', 'brain', 'bone', 'skin', 'blood', 'eye', 'ear'];
const pairsFile = join(dir, 'pairs.jsonl');
writeFileSync(
  pairsFile,
  words
    .flatMap((w, i) => [
      { query: `${w} disease`, positive: `the ${w} is affected by a disease of the ${words[(i + 1) % 10]}` },
      { query: `${w} pain`, positive: `pain in the ${w} and the ${words[(i + 3) % 10]}` },
    ])
    .map((p) => JSON.stringify(p))
    .join('\n'),
);

async function train(out: string, ...more: string[]): Promise<string[]> {
  const log: string[] = [];
  const argv = [
    '--base',
    'glove',
    '--train',
    pairsFile,
    '--negatives',
    'mined:1',
    '--batch',
    '4',
    '--steps',
    '6',
  ];
  const print = vi.spyOn(console, 'log').mockImplementation(() => undefined);
  try {
    await runTrain(
      parseTrainArgs([...argv, '--backend', 'cpu', '--cache', join(dir, 'cache'), '--out', out, ...more]),
      new Reporter({ write: (s: string) => log.push(...s.split('\n').filter(Boolean)) }),
    );
    expect(print).toHaveBeenCalledWith(out);
  } finally {
    print.mockRestore();
  }
  return log;
}

describe('stm train', () => {
  it('writes an expert folder and its embedding cache; --resume continues a checkpointed run bit for bit', async () => {
    const full = join(dir, 'full');
    const log = await train(full, '--checkpoint-every', '2');
    expect(log).toContain('train: 20 of 20 pairs from ' + pairsFile);
    expect(log.at(-1)).toMatch(/^wrote .*full: expert\.json, adapter\.safetensors/);
    const { record, weights } = await readExpertDir(full);
    expect(record).toMatchObject({ id: 'full', baseModel: 'glove', method: 'adapter' });
    expect(record.data).toEqual({ source: pairsFile, pairs: 20, negatives: 'mined:1 range 0:50' });
    expect((await FileEmbeddingCache.open(join(dir, 'cache'))).rows.size).toBeGreaterThan(0);
    // the folder holds the checkpoint of step 4: a resume repeats steps 5 and 6
    const resumed = await train(full, '--checkpoint-every', '2', '--resume');
    expect(resumed).toContain('resuming full at step 4');
    const again = await readExpertDir(full);
    for (const [name, w] of weights) expect(again.weights.get(name)!.data).toEqual(w.data);
    expect(readFileSync(join(full, 'checkpoint.json'), 'utf8')).toContain('"step":4');
  });
});
