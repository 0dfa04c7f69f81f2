import { copyFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { FileEmbeddingCache } from '../eval/embed-cache-node';
import { readExpertDir } from '../experts/files-node';
import { parseTrainArgs } from './args';
import { Reporter } from './progress';
import { runTrain } from './train';
import { TINY_MODELS_DIR } from '../../scripts/make-tiny-models';

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

describe('stm train: inputs a resume or a run refuses (issue 8 items 6, 12)', () => {
  it('refuses to resume when the pairs file changed since the checkpoint, naming it', async () => {
    const out = join(dir, 'changed');
    const mine = join(dir, 'mine.jsonl');
    copyFileSync(pairsFile, mine);
    const argv = (more: string[]) =>
      parseTrainArgs(
        ['--base', 'glove', '--train', mine, '--negatives', 'none', '--batch', '4', '--steps', '4'].concat(
          ['--backend', 'cpu', '--out', out, '--checkpoint-every', '2'],
          more,
        ),
      );
    const print = vi.spyOn(console, 'log').mockImplementation(() => undefined);
    try {
      await runTrain(argv([]), { log: () => undefined, progress: () => undefined });
      expect(readdirSync(out).filter((f) => f.endsWith('.tmp'))).toEqual([]);
      // same number of pairs, one word changed
      writeFileSync(mine, readFileSync(mine, 'utf8').replace('heart disease', 'heart failure'));
      await expect(
        runTrain(argv(['--resume']), { log: () => undefined, progress: () => undefined }),
      ).rejects.toThrow(
        new RegExp(`but the pairs file ${mine.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} differs`),
      );
    } finally {
      print.mockRestore();
    }
  });

  it('names an empty pairs file, and a Latin-1 byte at its line', async () => {
    const empty = join(dir, 'empty.jsonl');
    writeFileSync(empty, '\n\n');
    const run = (file: string) =>
      runTrain(parseTrainArgs(['--base', 'glove', '--train', file, '--backend', 'cpu']), {
        log: () => undefined,
        progress: () => undefined,
      });
    await expect(run(empty)).rejects.toThrow(`${empty}: holds no training pairs`);
    const latin = join(dir, 'latin1.jsonl');
    const lines = readFileSync(pairsFile, 'utf8').split('\n');
    lines[12] = '{"query":"fi\u00e8vre","positive":"caf\u00e9"}';
    writeFileSync(latin, Buffer.from(lines.join('\n'), 'latin1'));
    await expect(run(latin)).rejects.toThrow(
      `${latin}:13: byte 0xe8 is not valid UTF-8: save the file as UTF-8`,
    );
  });
});

describe('stm train --lora-targets (issue 13: Phi-3 by row slices)', () => {
  it('adapts the named slices of the fused linears, says which rows, and writes a PEFT adapter of the fused module', async () => {
    const out = join(dir, 'phi3-qv');
    const phi3 = join(TINY_MODELS_DIR, 'tiny-phi3');
    const log = await train(
      out,
      '--base',
      phi3,
      '--method',
      'lora',
      '--rank',
      '2',
      '--lora-targets',
      'q_proj,v_proj',
    );
    expect(log).toContain('LoRA on 4 linears (q_proj, v_proj)');
    expect(
      log.some((l) => /"q_proj" is rows 0–\d+ of the fused qkv_proj .* covers those rows only/.test(l)),
    ).toBe(true);
    const cfg = JSON.parse(readFileSync(join(out, 'adapter_config.json'), 'utf8')) as Record<string, unknown>;
    expect(cfg.target_modules).toEqual(['qkv_proj']);
    expect(cfg.rank_pattern).toEqual({ qkv_proj: 4 });
    const { weights } = await readExpertDir(out);
    expect([...weights.keys()].every((k) => k.includes('qkv_proj'))).toBe(true);
  });

  it('refuses a pattern that adapts nothing (naming the linears there) and a malformed list', async () => {
    const phi3 = join(TINY_MODELS_DIR, 'tiny-phi3');
    await expect(
      train(join(dir, 'phi3-bad'), '--base', phi3, '--method', 'lora', '--lora-targets', 'query'),
    ).rejects.toThrow(
      /target module pattern "query" matches no linear layer \(have: layers\.0\.self_attn\.qkv_proj/,
    );
    expect(() => parseTrainArgs(['--train', 'x', '--lora-targets', 'q_proj,,v_proj'])).toThrow(
      /--lora-targets: give all-linear or module names separated by commas .*an empty name/,
    );
    expect(parseTrainArgs(['--train', 'x']).loraTargets).toBe('all-linear');
  });
});
