/**
 * `stm handoff` on a real expert: a LoRA expert trained here by `stm train` (USE-lite, GP-2 prompts), exported
 * as a Python project whose train.py carries its settings; the refusals leave --out untouched.
 */
import { spawnSync } from 'node:child_process';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { readExpertDir } from '../experts/files-node';
import { parseTrainArgs, UsageError } from './args';
import { parseHandoffArgs } from './handoff-args';
import { runHandoff } from './handoff';
import { Reporter } from './progress';
import { runTrain } from './train';

const dir = mkdtempSync(join(tmpdir(), 'stm-cli-handoff-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const expert = join(dir, 'expert');
const pairsFile = join(dir, 'pairs.jsonl');
const organs = ['heart', 'lung', 'kidney', 'liver', 'brain', 'bone', 'skin', 'blood'];

async function quiet<T>(f: () => Promise<T>): Promise<T> {
  const print = vi.spyOn(console, 'log').mockImplementation(() => undefined);
  try {
    return await f();
  } finally {
    print.mockRestore();
  }
}

beforeAll(async () => {
  writeFileSync(
    pairsFile,
    organs
      .map((w, i) =>
        JSON.stringify({
          query: `${w} disease`,
          positive: `the ${w} is diseased`,
          negatives: [`the ${organs[(i + 1) % 8]} is well`],
        }),
      )
      .join('\n') + '\n',
  );
  const prompts = join(dir, 'prompts.txt');
  writeFileSync(prompts, 'Find the passage about the organ\nRetrieve the matching note\n');
  const argv = ['--base', 'use-lite', '--method', 'lora', '--train', pairsFile, '--negatives', 'given'];
  const more = [
    '--checkpoint-every',
    '1',
    '--batch',
    '4',
    '--steps',
    '2',
    '--rank',
    '4',
    '--lr',
    '0.0003',
    '--prompts',
    prompts,
  ];
  await quiet(() =>
    runTrain(
      parseTrainArgs([...argv, ...more, '--backend', 'cpu', '--out', expert]),
      new Reporter({ write: () => undefined }),
    ),
  );
}, 60_000);

const handoff = (...argv: string[]) => {
  const log: string[] = [];
  return quiet(() => runHandoff(parseHandoffArgs(argv), (m) => log.push(m))).then(() => log);
};

describe('stm handoff', () => {
  it("writes the project of a trained expert: its settings in train.py, its pairs, the task's folder", async () => {
    const { record } = await readExpertDir(expert);
    const out = join(dir, 'project');
    const log = await handoff(
      expert,
      '--out',
      out,
      '--base',
      'BAAI/bge-small-en-v1.5',
      '--task',
      'med=../shared/datasets/med',
    );
    expect(log.at(-1)).toBe(
      `wrote ${out}: train.py, data/train.jsonl, evaluate.py, requirements.txt, README.md`,
    );
    const r = spawnSync(
      'python3',
      [
        '-c',
        `import ast, json, train, evaluate
for f in ("train.py", "evaluate.py"): ast.parse(open(f).read())
print(json.dumps({"c": train.CONFIG, "t": evaluate.TASKS, "n": len(open("data/train.jsonl").read().splitlines())}))`,
      ],
      { cwd: out, encoding: 'utf8' },
    );
    expect(r.stderr).toBe('');
    const got = JSON.parse(r.stdout) as { c: Record<string, unknown>; t: unknown[]; n: number };
    expect(got.c).toMatchObject({
      studio_base_model: 'use-lite',
      base_model: 'BAAI/bge-small-en-v1.5',
      lora_r: record.config.lora.rank,
      lora_alpha: record.config.lora.alpha,
      learning_rate: 0.0003,
      batch_size: 4,
      max_steps: 2,
      scale: record.config.scale,
      hard_negatives: 1,
      instructions: ['Find the passage about the organ', 'Retrieve the matching note'],
    });
    expect(got.c.lora_r).toBe(4);
    expect(got.t).toEqual([{ name: 'med', path: resolve('../shared/datasets/med'), split: 'test' }]);
    expect(got.n).toBe(organs.length);
  });

  it('exports a run from its checkpoint (a stm train --out folder before the expert is written)', async () => {
    const ck = join(dir, 'checkpoint-only');
    mkdirSync(ck);
    for (const f of ['checkpoint.json', 'checkpoint.safetensors']) copyFileSync(join(expert, f), join(ck, f));
    const out = join(dir, 'from-checkpoint');
    const log = await handoff(ck, '--out', out, '--base', 'BAAI/bge-small-en-v1.5');
    expect(log).toContain(`${ck}: checkpoint at step 1 of 2`);
    const train = readFileSync(join(out, 'train.py'), 'utf8');
    expect(train).toContain('"lora_r": 4,');
    expect(train).toContain('"Retrieve the matching note"');
    expect(readFileSync(join(out, 'data/train.jsonl'), 'utf8').split('\n').filter(Boolean)).toHaveLength(
      organs.length,
    );
  });

  it('refuses a built-in base without --base, a non-empty --out, pairs without the negatives, writing nothing', async () => {
    const out = join(dir, 'refused');
    await expect(handoff(expert, '--out', out)).rejects.toThrow(
      /built-in model "use-lite".*--base <hub id or folder>/,
    );
    expect(existsSync(out)).toBe(false);
    const bare = join(dir, 'bare.jsonl');
    writeFileSync(bare, '{"query": "q1", "positive": "p1"}\n{"query": "q2", "positive": "p2"}\n');
    await expect(handoff(expert, '--out', out, '--base', 'x/y', '--pairs', bare)).rejects.toThrow(
      /bare\.jsonl: pair 1 has 0 negatives, but .* trained with 1 hard negative/,
    );
    expect(existsSync(out)).toBe(false);
    mkdirSync(out);
    writeFileSync(join(out, 'keep.txt'), 'mine');
    await expect(handoff(expert, '--out', out, '--base', 'x/y')).rejects.toThrow(
      /is not empty .*nothing was written/,
    );
    expect(readdirSync(out)).toEqual(['keep.txt']);
    expect(() => parseHandoffArgs([expert])).toThrow(UsageError);
    expect(() => parseHandoffArgs([expert, '--out', out, '--task', 'nofolder'])).toThrow(
      /name=folder\[:split\]/,
    );
  });
});
