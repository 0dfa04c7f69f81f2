import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readExpertDir, writeExpertDir } from '../experts/files-node';
import type { ExpertWeights } from '../experts/files';
import { resolveModelNode } from '../experts/resolve-node';
import { createCpuBackend } from '../gpu/cpu';
import { importMergekitYaml } from '../merge/mergekit-yaml';
import { adapterExpertRecord } from '../testing/expert-record';
import { mergeCli } from '../testing/cli-merge';
import { defaultTrainConfig } from '../train/defaults';
import { Rng } from '../util/rng';
import { UsageError } from './args';
import { parseMergeArgs } from './merge-args';

const dir = mkdtempSync(join(tmpdir(), 'stm-cli-merge-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const D = 100; // GloVe's dimension

const merge = mergeCli;

function fullAdapter(seed: number): ExpertWeights {
  const rng = new Rng(seed);
  const w = new Float32Array(D * D);
  for (let i = 0; i < D; i++)
    for (let j = 0; j < D; j++) w[i * D + j] = (i === j ? 1 : 0) + 0.05 * rng.normal();
  return new Map([
    ['adapter.W', { shape: [D, D], data: w }],
    ['adapter.b', { shape: [D], data: Float32Array.from({ length: D }, () => 0.02 * rng.normal()) }],
  ]);
}

async function expertDir(name: string, seed: number, baseModel = 'glove'): Promise<string> {
  const d = join(dir, name);
  await writeExpertDir(
    d,
    adapterExpertRecord({ id: name, name: `Expert ${name}`, baseModel }),
    fullAdapter(seed),
  );
  return d;
}

describe('stm merge: expert folders (issue 10 item 6)', () => {
  it('merges adapter experts into an expert folder that evaluates like a trained one', async () => {
    const a = await expertDir('ea', 1);
    const b = await expertDir('eb', 2);
    const out = join(dir, 'merged-ta');
    const log: string[] = [];
    const stdout = await merge(
      [
        '--method',
        'task_arithmetic',
        '--base',
        'glove',
        '--experts',
        `${a},${b}`,
        '--weights',
        '0.6,0.3',
      ].concat(['--lambda', '1.5', '--out', out, '--yaml', join(dir, 'ta.yml')]),
      log,
    );
    expect(stdout).toEqual([out]);
    expect(log.some((l) => l.startsWith(`wrote ${out}: expert.json, adapter.safetensors`))).toBe(true);
    const merged = await readExpertDir(out);
    expect(merged.record).toMatchObject({ id: 'merged-ta', baseModel: 'glove', method: 'adapter' });
    expect(merged.record.merge).toEqual({
      method: 'task_arithmetic',
      baseModel: 'glove',
      experts: [
        { id: 'ea', name: 'Expert ea', params: { weight: 0.6 } },
        { id: 'eb', name: 'Expert eb', params: { weight: 0.3 } },
      ],
      options: { lambda: 1.5 },
    });
    // W = I + 1.5·(0.6·(Wa − I) + 0.3·(Wb − I)), b likewise over 0
    const [wa, wb] = [fullAdapter(1), fullAdapter(2)];
    for (const name of ['adapter.W', 'adapter.b']) {
      const got = merged.weights.get(name)!.data;
      const id = (j: number) => (name === 'adapter.W' && j % (D + 1) === 0 ? 1 : 0);
      got.forEach((x, j) => {
        const want =
          id(j) + 1.5 * (0.6 * (wa.get(name)!.data[j] - id(j)) + 0.3 * (wb.get(name)!.data[j] - id(j)));
        expect(Math.abs(x - want)).toBeLessThan(1e-5);
      });
    }
    // what `stm eval --model <out>` resolves: base + merged adapter
    const be = createCpuBackend();
    const expert = await resolveModelNode(out, () => undefined);
    expect(expert.id).toBe('glove+merged-ta');
    const e = await expert.embed(be, ['heart disease'], 'query');
    expect(e.length).toBe(D);
    // the recipe written beside it names the expert folders and the base model
    const yaml = importMergekitYaml(readFileSync(join(dir, 'ta.yml'), 'utf8'));
    expect(yaml.baseModel).toBe('glove');
    expect(yaml.models).toEqual([a, b]);
    expect(yaml.recipe.options).toEqual({ lambda: 1.5 });
  });

  it('--config applies a mergekit recipe to expert folders; the result equals the options', async () => {
    const a = await expertDir('ca', 3);
    const b = await expertDir('cb', 4);
    const recipe = join(dir, 'ties.yml');
    writeFileSync(
      recipe,
      `merge_method: ties\nbase_model: glove\nmodels:\n  - model: ${a}\n    parameters: {weight: 0.5, density: 0.4}\n  - model: ${b}\n    parameters: {weight: 0.8, density: 0.4}\n`,
    );
    await merge(['--config', recipe, '--out', join(dir, 'cfg')]);
    await merge([
      '--method',
      'ties',
      '--experts',
      `${a},${b}`,
      '--weights',
      '0.5,0.8',
      '--densities',
      '0.4',
      '--out',
      join(dir, 'opt'),
    ]);
    const [x, y] = [await readExpertDir(join(dir, 'cfg')), await readExpertDir(join(dir, 'opt'))];
    expect(x.weights.get('adapter.W')!.data).toEqual(y.weights.get('adapter.W')!.data);
    expect(x.record.merge).toEqual(y.record.merge);
  });

  it('--config with per-layer values: name filters on adapter.W / adapter.b, written back by --yaml', async () => {
    const a = await expertDir('pa', 7);
    const b = await expertDir('pb', 8);
    const recipe = join(dir, 'per-layer.yml');
    writeFileSync(
      recipe,
      [
        'merge_method: task_arithmetic',
        'base_model: glove',
        'models:',
        `  - model: ${a}`,
        '    parameters:',
        '      weight:',
        '        - filter: adapter.b',
        '          value: 0',
        '        - value: 0.6',
        `  - model: ${b}`,
        '    parameters:',
        '      weight: [{filter: adapter.W, value: 0.25}, {value: 1}]',
        'parameters:',
        '  lambda: [{filter: adapter.b, value: 2}, {value: 1}]',
        '',
      ].join('\n'),
    );
    const out = join(dir, 'per-layer');
    const yml = join(dir, 'per-layer-out.yml');
    await merge(['--config', recipe, '--out', out, '--yaml', yml]);
    const merged = await readExpertDir(out);
    const [wa, wb] = [fullAdapter(7), fullAdapter(8)];
    // W = I + 0.6·δa + 0.25·δb; b = 0 + 2·(0·δa + 1·δb)
    const W = merged.weights.get('adapter.W')!.data;
    W.forEach((x, j) => {
      const id = j % (D + 1) === 0 ? 1 : 0;
      const want =
        id + 0.6 * (wa.get('adapter.W')!.data[j] - id) + 0.25 * (wb.get('adapter.W')!.data[j] - id);
      expect(Math.abs(x - want)).toBeLessThan(1e-5);
    });
    const bias = merged.weights.get('adapter.b')!.data;
    bias.forEach((x, j) => expect(Math.abs(x - 2 * wb.get('adapter.b')!.data[j])).toBeLessThan(1e-5));
    // the saved recipe keeps the per-layer values; --yaml writes them back and reads the same
    expect(merged.record.merge!.experts[0].perLayer).toEqual({
      weight: [{ filter: 'adapter.b', value: 0 }, { value: 0.6 }],
    });
    expect(merged.record.merge!.perLayer).toEqual({
      lambda: [{ filter: 'adapter.b', value: 2 }, { value: 1 }],
    });
    const back = importMergekitYaml(readFileSync(yml, 'utf8'), yml).recipe;
    expect(back.experts.map((e) => e.perLayer)).toEqual(merged.record.merge!.experts.map((e) => e.perLayer));
    expect(back.perLayer).toEqual(merged.record.merge!.perLayer);
  });

  it('refuses experts of different base models or methods, naming both; a LoRA merge writes nothing', async () => {
    const a = await expertDir('ga', 5);
    const c = await expertDir('gc', 6, 'use-lite');
    await expect(
      merge(['--method', 'linear', '--experts', `${a},${c}`, '--weights', '1', '--out', join(dir, 'x')]),
    ).rejects.toThrow(
      'experts "Expert ga" and "Expert gc" have different base models ("glove" and "use-lite")',
    );
    await expect(
      merge([
        '--method',
        'linear',
        '--base',
        'use-lite',
        '--experts',
        `${a}`,
        '--weights',
        '1',
        '--out',
        join(dir, 'x'),
      ]),
    ).rejects.toThrow('the base "use-lite" is not the experts\' base model "glove"');
    await expect(
      merge([
        '--method',
        'linear',
        '--experts',
        a,
        '--weights',
        '1',
        '--dtype',
        'float16',
        '--out',
        join(dir, 'x'),
      ]),
    ).rejects.toThrow("--dtype sets a merged checkpoint's storage type; an expert folder is always float32");
    const lora = async (name: string) => {
      const d = join(dir, name);
      const config = defaultTrainConfig('lora');
      await writeExpertDir(
        d,
        adapterExpertRecord({ id: name, name, method: 'lora', config }),
        new Map([
          ['base_model.model.layers.0.q.lora_A.weight', { shape: [16, 4], data: new Float32Array(64) }],
        ]),
      );
      return d;
    };
    const la = await lora('la');
    await expect(
      merge(['--method', 'linear', '--experts', `${a},${la}`, '--weights', '1', '--out', join(dir, 'x')]),
    ).rejects.toThrow('experts "Expert ga" (adapter) and "la" (lora) were trained by different methods');
    // a LoRA expert over a base LoRA cannot run on (GloVe) fails before writing
    const out = join(dir, 'lora-out');
    await expect(
      merge(['--method', 'ties', '--experts', `${la},${la}`, '--weights', '1', '--out', out]),
    ).rejects.toThrow('is not a model LoRA runs on');
    expect(existsSync(out)).toBe(false);
    expect(existsSync(join(dir, 'x'))).toBe(false);
  });
});

describe('stm merge --config: bad recipes (issue 10 item 7)', () => {
  it('names the file and line of an unknown key or a per-layer value, and a model that is not there', async () => {
    const r = join(dir, 'bad.yml');
    const run = (text: string) => (
      writeFileSync(r, text),
      merge(['--config', r, '--out', join(dir, 'never')])
    );
    await expect(run('merge_method: ties\nbase_model: glove\nmodel:\n  - model: x\n')).rejects.toThrow(
      `${r}:3: unknown key "model" in the recipe`,
    );
    await expect(
      run(
        'merge_method: ties\nbase_model: glove\nmodels:\n  - model: x\n    parameters:\n      weight: 1\nparameters:\n  normalize: [{filter: mlp, value: true}, {value: false}]\n',
      ),
    ).rejects.toThrow(`${r}:8: parameters.normalize is a per-layer value (name filters)`);
    await expect(
      run(
        'merge_method: ties\nbase_model: glove\nmodels:\n  - model: nowhere/x\n    parameters: {weight: 1}\n',
      ),
    ).rejects.toThrow(`--config ${r}: nowhere/x does not exist`);
    expect(existsSync(join(dir, 'never'))).toBe(false);
  });
});

describe('stm merge: options (issue 10 item 6)', () => {
  it('refuses options the method does not read and lists of the wrong length', () => {
    const p =
      (...argv: string[]) =>
      () =>
        parseMergeArgs([...argv, '--out', 'o']);
    expect(p('--method', 'linear', '--experts', 'a,b', '--weights', '1', '--densities', '0.5')).toThrow(
      new UsageError('--densities: linear does not read "density" (it reads weight, normalize)'),
    );
    expect(p('--method', 'ties', '--experts', 'a,b,c', '--weights', '1,2')).toThrow(
      '--weights has 2 values for 3 experts',
    );
    expect(p('--method', 'ties', '--experts', 'a,b')).toThrow('ties needs --weights');
    expect(p('--method', 'ties', '--experts', 'a', '--weights', '1', '--dtype', 'fp8')).toThrow(
      '--dtype must be one of float32|float16|bfloat16, got "fp8"',
    );
    expect(p('--method', 'slerp', '--experts', 'a')).toThrow('slerp needs --t');
    expect(p('--method', 'tie', '--experts', 'a')).toThrow('--method: unknown merge method "tie"');
    expect(p('--config', 'r.yml', '--weights', '1')).toThrow('--weights cannot be combined with --config');
    expect(p('--method', 'ties', '--experts', 'a', '--weights', '1', '--normalize', 'yes')).toThrow(
      '--normalize must be true or false, got "yes"',
    );
  });
});
