import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { loadBeirDir } from '../data/node';
import { evaluate } from '../eval/evaluate';
import { readExpertDir, writeExpertDir } from '../experts/files-node';
import { resolveModelNode } from '../experts/resolve-node';
import { createCpuBackend } from '../gpu/cpu';
import { adapterExpertRecord } from '../testing/expert-record';
import { Rng } from '../util/rng';
import { TINY_MODELS_DIR } from '../../scripts/make-tiny-models';
import { randomPeft, tinyHf } from '../testing/lora-experts';
import { DEFAULT_LORA } from '../train/lora';
import { selectModules } from '../train/lora-modules';
import { defaultTrainConfig } from '../train/defaults';
import { UsageError } from './args';
import { runMergeSearch } from './merge-search';
import { parseMergeSearchArgs, parseSplitSpec } from './merge-search-args';

const dir = mkdtempSync(join(tmpdir(), 'stm-cli-merge-search-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const words = [
  'heart',
  'lung',
  'kidney',
  'liver',
  'brain',
  'bone',
  'skin',
  'blood',
  'eye',
  'ear',
  'wing',
  'engine',
];
const beir = join(dir, 'beir');
mkdirSync(join(beir, 'qrels'), { recursive: true });
writeFileSync(
  join(beir, 'corpus.jsonl'),
  words
    .flatMap((w, i) => [
      {
        _id: `d${i}a`,
        title: '',
        text: `the ${w} is affected by a disease of the ${words[(i + 1) % words.length]}`,
      },
      {
        _id: `d${i}b`,
        title: '',
        text: `pain in the ${w} and the ${words[(i + 5) % words.length]} after surgery`,
      },
    ])
    .map((d) => JSON.stringify(d))
    .join('\n'),
);
writeFileSync(
  join(beir, 'queries.jsonl'),
  words.map((w, i) => JSON.stringify({ _id: `q${i}`, text: `${w} disease and pain` })).join('\n'),
);
const qrels = (from: number, to: number) =>
  'query-id\tcorpus-id\tscore\n' +
  words
    .slice(from, to)
    .map((_, k) => `q${from + k}\td${from + k}a\t1\nq${from + k}\td${from + k}b\t1`)
    .join('\n');
writeFileSync(join(beir, 'qrels', 'dev.tsv'), qrels(0, 6));
writeFileSync(join(beir, 'qrels', 'test.tsv'), qrels(6, 12));

/** A full adapter expert over GloVe: W = I + noise, b = 0 (what a trained one holds, made in a blink). */
async function expert(name: string, seed: number, dim: number): Promise<string> {
  const rng = new Rng(seed);
  const w = new Float32Array(dim * dim);
  for (let i = 0; i < w.length; i++)
    w[i] = (i % (dim + 1) === 0 ? 1 : 0) + (0.3 * rng.normal()) / Math.sqrt(dim);
  const out = join(dir, name);
  await writeExpertDir(
    out,
    adapterExpertRecord({ id: name, name }),
    new Map([
      ['adapter.W', { shape: [dim, dim], data: w }],
      ['adapter.b', { shape: [dim], data: new Float32Array(dim) }],
    ]),
  );
  return out;
}

async function run(argv: string[]): Promise<{ stdout: string[]; stderr: string[] }> {
  const stdout: string[] = [];
  const stderr: string[] = [];
  const print = vi
    .spyOn(console, 'log')
    .mockImplementation((s: string) => void stdout.push(...String(s).split('\n')));
  try {
    await runMergeSearch(parseMergeSearchArgs(argv), {
      log: (m) => stderr.push(m),
      progress: () => undefined,
    });
  } finally {
    print.mockRestore();
  }
  return { stdout, stderr };
}

describe('stm merge-search (issue 10 items 4 and 6)', () => {
  it('searches on the dev pool, prints every trial, scores the choice on test and saves it as an expert stm eval reads', async () => {
    const glove = await resolveModelNode('glove', () => undefined);
    const a = await expert('ea', 1, glove.dim);
    const b = await expert('eb', 2, glove.dim);
    const out = join(dir, 'merged');
    const { stdout, stderr } = await run([
      '--experts',
      `${a},${b}`,
      '--dev',
      `${beir}:dev`,
      '--test',
      beir,
      '--method',
      'ties',
      '--strategy',
      'random',
      '--budget',
      '4',
      '--seed',
      '3',
      '--pool-k',
      '5',
      '--backend',
      'cpu',
      '--out',
      out,
      '--json',
      '--compare',
    ]);
    expect(stderr.some((l) => /^dev pool beir\/dev: 6 queries, \d+ of 24 docs \(k 5\)/.test(l))).toBe(true);
    const json = JSON.parse(stdout.at(-1)!) as {
      trials: { index: number; objective: number; scores: Record<string, number> }[];
      best: { index: number; objective: number; recipe: unknown };
      test: { model: string; scores: Record<string, number> }[];
      searched: string;
    };
    expect(json.trials).toHaveLength(4);
    expect(json.best.objective).toBe(Math.max(...json.trials.map((t) => t.objective)));
    expect(Object.keys(json.trials[0].scores)).toEqual(['beir/dev']);
    expect(json.searched).toMatch(/^random, best of 4 uniform points \(seed 3\): weight ea ∈ \[0, 1\]/);
    // the table: a header, one row per trial, the references (base + 2 experts), the best
    const header = stdout.findIndex((l) =>
      l.startsWith('#\tobjective\tbeir/dev\tweight ea\tweight eb\tdensity ea'),
    );
    expect(header).toBeGreaterThan(0);
    expect(stdout.slice(header + 1, header + 5).map((l) => Number(l.split('\t')[0]))).toEqual([1, 2, 3, 4]);
    expect(stdout.filter((l) => l.startsWith('reference\t'))).toHaveLength(3);
    expect(json.test.map((t) => t.model)).toEqual(['glove (base)', 'ea', 'eb', 'merge (ties)']);
    // the saved merge: its recipe is the best trial's, and `stm eval` of the folder gives the same test figure
    const saved = await readExpertDir(out);
    expect(saved.record.merge).toEqual(json.best.recipe);
    expect(saved.record.method).toBe('adapter');
    const be = createCpuBackend();
    const { report } = await evaluate({
      dataset: await loadBeirDir(beir),
      split: 'test',
      retriever: { kind: 'dense', embedder: await resolveModelNode(out, () => undefined), backend: be },
    });
    expect(report.metrics['ndcg@10']).toBeCloseTo(json.test[3].scores['beir/test'], 6);
  });

  it('searches LoRA experts over a Hugging Face base: folded merges on the pool, the saved merge evaluates as scored', async () => {
    const baseDir = join(TINY_MODELS_DIR, 'tiny-bert');
    const { model } = await tinyHf('tiny-bert');
    const cfg = { ...DEFAULT_LORA, rank: 4, alpha: 8 };
    const dirs: string[] = [];
    for (const seed of [1, 2]) {
      const d = join(dir, `lora-s${seed}`);
      const config = { ...defaultTrainConfig('lora'), lora: cfg };
      await writeExpertDir(
        d,
        adapterExpertRecord({
          id: `ls${seed}`,
          name: `ls${seed}`,
          method: 'lora',
          baseModel: baseDir,
          config,
        }),
        randomPeft(selectModules(model.linears, cfg.targetModules), cfg, seed),
      );
      dirs.push(d);
    }
    const out = join(dir, 'lora-merged');
    const { stdout } = await run([
      '--experts',
      dirs.join(','),
      '--dev',
      `${beir}:dev`,
      '--test',
      beir,
      '--method',
      'task_arithmetic',
      '--strategy',
      'random',
      '--budget',
      '3',
      '--seed',
      '1',
      '--pool-k',
      '5',
      '--backend',
      'cpu',
      '--out',
      out,
      '--json',
    ]);
    const json = JSON.parse(stdout.at(-1)!) as {
      trials: unknown[];
      best: { recipe: unknown };
      test: { model: string; scores: Record<string, number> }[];
    };
    expect(json.trials).toHaveLength(3);
    const saved = await readExpertDir(out);
    expect(saved.record.method).toBe('lora');
    expect(saved.record.merge).toEqual(json.best.recipe);
    const be = createCpuBackend();
    const { report } = await evaluate({
      dataset: await loadBeirDir(beir),
      split: 'test',
      retriever: { kind: 'dense', embedder: await resolveModelNode(out, () => undefined), backend: be },
    });
    expect(report.metrics['ndcg@10']).toBeCloseTo(json.test.at(-1)!.scores['beir/test'], 5);
  });

  it('names a missing dev split and refuses LoRA experts over a base LoRA cannot run on', async () => {
    const glove = await resolveModelNode('glove', () => undefined);
    const a = await expert('fa', 4, glove.dim);
    await expect(run(['--experts', a, '--dev', `${beir}:nope`, '--backend', 'cpu'])).rejects.toThrow(
      `--dev ${beir}:nope`,
    );
    const lora = join(dir, 'lora');
    const rec = adapterExpertRecord({ id: 'lora', name: 'lora', method: 'lora' });
    await writeExpertDir(
      lora,
      rec,
      new Map([['x.lora_A.weight', { shape: [16, 2], data: new Float32Array(32) }]]),
    );
    await expect(run(['--experts', lora, '--dev', beir, '--backend', 'cpu'])).rejects.toThrow(
      /their base "glove" is not a model LoRA runs on/,
    );
  });

  it('parses its options and names bad ones', () => {
    expect(parseSplitSpec('/data/med:dev', 'test')).toEqual({ dir: '/data/med', split: 'dev' });
    expect(parseSplitSpec('/data/med', 'test')).toEqual({ dir: '/data/med', split: 'test' });
    expect(parseSplitSpec('C:\\data', 'dev')).toEqual({ dir: 'C:\\data', split: 'dev' });
    const a = parseMergeSearchArgs([
      '--experts',
      'x,y',
      '--dev',
      'd1,d2:validation',
      '--lambda-range',
      '0.5:2',
    ]);
    expect(a).toMatchObject({
      method: 'ties',
      strategy: 'cmaes',
      budget: 100,
      seed: 42,
      poolK: 100,
      lambda: [0.5, 2],
    });
    expect(a.dev).toEqual([
      { dir: 'd1', split: 'dev' },
      { dir: 'd2', split: 'validation' },
    ]);
    expect(() => parseMergeSearchArgs(['--experts', 'x'])).toThrow(UsageError);
    expect(() => parseMergeSearchArgs(['--experts', 'x', '--dev', 'd', '--strategy', 'anneal'])).toThrow(
      /--strategy must be one of grid\|random\|cmaes/,
    );
    expect(() => parseMergeSearchArgs(['--experts', 'x', '--dev', 'd', '--budget', '2.5'])).toThrow(
      /integer/,
    );
    expect(() =>
      parseMergeSearchArgs(['--experts', 'x', '--dev', 'd', '--density-range', '0.9:0.1']),
    ).toThrow(/0.9 > 0.1/);
  });
});
