import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { readExpertDir, writeExpertDir } from '../experts/files-node';
import type { ExpertWeights } from '../experts/files';
import { resolveModelNode } from '../experts/resolve-node';
import { createCpuBackend } from '../gpu/cpu';
import { layerCount, layerIndex } from '../merge/layer-params';
import { importMergekitYaml } from '../merge/mergekit-yaml';
import { parseSafetensors, writeSafetensors } from '../models/hf/safetensors';
import { adapterExpertRecord } from '../testing/expert-record';
import { TINY_MODELS_DIR } from '../../scripts/make-tiny-models';
import { randomPeft, tinyHf } from '../testing/lora-experts';
import { DEFAULT_LORA } from '../train/lora';
import { selectModules } from '../train/lora-modules';
import { defaultTrainConfig } from '../train/defaults';
import { Rng } from '../util/rng';
import { UsageError } from './args';
import { runMerge } from './merge';
import { parseMergeArgs } from './merge-args';

const dir = mkdtempSync(join(tmpdir(), 'stm-cli-merge-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const D = 100; // GloVe's dimension

/** runMerge on a command line, stdout captured */
async function merge(argv: string[], log: string[] = []): Promise<string[]> {
  const out: string[] = [];
  const print = vi.spyOn(console, 'log').mockImplementation((s: string) => void out.push(s));
  try {
    await runMerge(parseMergeArgs([...argv, '--backend', 'cpu']), {
      log: (s) => void log.push(s),
      progress: () => undefined,
    });
  } finally {
    print.mockRestore();
  }
  return out;
}

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

  it('merges LoRA experts over a Hugging Face base into a folded expert; one expert at weight 1 embeds as itself', async () => {
    const baseDir = join(TINY_MODELS_DIR, 'tiny-bert');
    const { model } = await tinyHf('tiny-bert');
    const cfg = { ...DEFAULT_LORA, rank: 4, alpha: 8 };
    const dirs: string[] = [];
    for (const seed of [1, 2]) {
      const d = join(dir, `lora${seed}`);
      const config = { ...defaultTrainConfig('lora'), lora: cfg };
      await writeExpertDir(
        d,
        adapterExpertRecord({
          id: `lora${seed}`,
          name: `L${seed}`,
          method: 'lora',
          baseModel: baseDir,
          config,
        }),
        randomPeft(selectModules(model.linears, cfg.targetModules), cfg, seed),
      );
      dirs.push(d);
    }
    const one = join(dir, 'lora-one');
    await merge(['--method', 'task_arithmetic', '--experts', dirs[0], '--weights', '1', '--out', one]);
    const be = createCpuBackend();
    const texts = ['heart attack symptoms', 'a second text'];
    const want = await (await resolveModelNode(dirs[0], () => undefined)).embed(be, texts, 'query');
    const got = await (await resolveModelNode(one, () => undefined)).embed(be, texts, 'query');
    for (let i = 0; i < want.length; i++) expect(Math.abs(got[i] - want[i])).toBeLessThan(1e-5);
    // --config with per-layer values resolves per module: 0 on the query projections, a gradient
    // 0.5 → 1 over the layers elsewhere; against the plain weight-1 merge of the same expert
    const perLayerYml = join(dir, 'lora-per-layer.yml');
    writeFileSync(
      perLayerYml,
      `merge_method: task_arithmetic\nbase_model: ${baseDir}\nmodels:\n  - model: ${dirs[0]}\n    parameters:\n      weight:\n        - filter: query\n          value: 0\n        - value: [0.5, 1]\n`,
    );
    const layered = join(dir, 'lora-layered');
    await merge(['--config', perLayerYml, '--out', layered]);
    const [plainW, layeredW] = [(await readExpertDir(one)).weights, (await readExpertDir(layered)).weights];
    const layers = layerCount(model.linears.map((m) => m.path));
    expect(layers).toBeGreaterThan(1);
    const kinds = new Set<string>();
    for (const [name, t] of plainW) {
      const i = layerIndex(name)!;
      const w = name.includes('query') ? 0 : 0.5 + (0.5 * i) / (layers - 1);
      kinds.add(name.includes('query') ? 'query' : `layer ${i}`);
      const got = layeredW.get(name)!.data;
      t.data.forEach((x, j) => expect(Math.abs(got[j] - w * x), name).toBeLessThan(1e-6));
    }
    expect(kinds.has('query') && kinds.size >= 3, [...kinds].join(', ')).toBe(true);
    const two = join(dir, 'lora-two');
    await merge([
      '--method',
      'ties',
      '--experts',
      dirs.join(','),
      '--weights',
      '0.5,0.5',
      '--densities',
      '0.5',
      '--out',
      two,
    ]);
    const merged = await readExpertDir(two);
    expect(merged.record.method).toBe('lora');
    expect(merged.record.merge?.method).toBe('ties');
    const e2 = await (await resolveModelNode(two, () => undefined)).embed(be, texts, 'query');
    expect(e2.some((x, i) => Math.abs(x - want[i]) > 1e-4)).toBe(true);
    be.destroy();
    // LoRA out: the same merge as PEFT files at full rank embeds as the merge; the full model as the base's
    // safetensors with W + ΔW folded in embeds the same too
    const peft = join(dir, 'lora-peft');
    const full = join(dir, 'lora-full.safetensors');
    const log: string[] = [];
    await merge(
      [
        '--method',
        'ties',
        '--experts',
        dirs.join(','),
        '--weights',
        '0.5,0.5',
        '--densities',
        '0.5',
        '--lora-rank',
        '32',
        '--full-model',
        full,
        '--out',
        peft,
      ],
      log,
    );
    expect(readdirSync(peft).sort()).toEqual([
      'adapter_config.json',
      'adapter_model.safetensors',
      'expert.json',
    ]);
    expect(log.join('\n')).toMatch(/LoRA out: r \d+; energy kept: mean 100\.00%/);
    const be2 = createCpuBackend();
    const viaPeft = await (await resolveModelNode(peft, () => undefined)).embed(be2, texts, 'query');
    for (let i = 0; i < e2.length; i++) expect(Math.abs(viaPeft[i] - e2[i])).toBeLessThan(1e-4);
    const fb = readFileSync(full);
    const { model: folded } = await tinyHf(
      'tiny-bert',
      2,
      fb.buffer.slice(fb.byteOffset, fb.byteOffset + fb.byteLength) as ArrayBuffer,
    );
    const viaFull = await folded.embed(be2, texts, 'query');
    for (let i = 0; i < e2.length; i++) expect(Math.abs(viaFull[i] - e2[i])).toBeLessThan(1e-4);
    const low: string[] = [];
    await merge(
      [
        '--method',
        'ties',
        '--experts',
        dirs.join(','),
        '--weights',
        '0.5,0.5',
        '--lora-rank',
        '1',
        '--out',
        join(dir, 'lora-r1'),
      ],
      low,
    );
    expect(low.join('\n')).toMatch(/LoRA out: r 1; energy kept: mean (\d+\.\d+)%/);
    expect(Number(/mean (\d+\.\d+)%/.exec(low.join('\n'))![1])).toBeLessThan(100);
    be2.destroy();
  });
});

function readCheckpoint(path: string) {
  const b = readFileSync(path);
  return parseSafetensors(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer, path);
}

function checkpoint(path: string, tensors: Record<string, { shape: number[]; data: number[] }>): string {
  const m = new Map(
    Object.entries(tensors).map(([k, v]) => [k, { shape: v.shape, data: Float32Array.from(v.data) }]),
  );
  writeFileSync(path, new Uint8Array(writeSafetensors(m)));
  return path;
}

describe('stm merge: safetensors checkpoints (issue 10 item 6)', () => {
  const base = checkpoint(join(dir, 'base.safetensors'), {
    w: { shape: [2, 2], data: [1, 1, 1, 1] },
    b: { shape: [2], data: [0, 0] },
  });
  const a = checkpoint(join(dir, 'a.safetensors'), {
    w: { shape: [2, 2], data: [2, 1, 0, 1] },
    b: { shape: [2], data: [1, -1] },
  });
  const bb = checkpoint(join(dir, 'b.safetensors'), {
    w: { shape: [2, 2], data: [1, 3, 1, 1] },
    b: { shape: [2], data: [1, 1] },
  });

  it('writes the merged checkpoint (hand-worked task arithmetic), bf16 on request, and its recipe', async () => {
    const out = join(dir, 'ta.safetensors');
    const yml = join(dir, 'ta-ckpt.yml');
    const stdout = await merge([
      '--method',
      'task_arithmetic',
      '--base',
      base,
      '--experts',
      `${a},${bb}`,
      '--weights',
      '1,0.5',
      '--lambda',
      '2',
      '--out',
      out,
      '--yaml',
      yml,
      '--json',
    ]);
    expect(stdout[0]).toBe(out);
    expect(JSON.parse(stdout[1])).toMatchObject({
      out,
      kind: 'checkpoints',
      method: 'task_arithmetic',
      tensors: 2,
    });
    const t = readCheckpoint(out);
    expect([...t.keys()]).toEqual(['w', 'b']);
    expect(Array.from(t.get('w')!.data)).toEqual([3, 3, -1, 1]);
    expect(Array.from(t.get('b')!.data)).toEqual([3, -1]);
    expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
    // the recipe round-trips through --config to the same file
    const again = join(dir, 'ta2.safetensors');
    await merge(['--config', yml, '--out', again, '--dtype', 'bfloat16']);
    const t2 = readCheckpoint(again);
    expect(t2.get('w')!.dtype).toBe('BF16');
    expect(Array.from(t2.get('w')!.data)).toEqual([3, 3, -1, 1]);
  });

  it('--config with a weight gradient merges each layer of a 3-layer checkpoint with its own weight', async () => {
    const names = [
      'model.embed_tokens.weight',
      'model.layers.0.mlp.weight',
      'model.layers.1.mlp.weight',
    ].concat(['model.layers.1.self_attn.weight', 'model.layers.2.mlp.weight', 'model.norm.weight']);
    const ckpt = (file: string, v: number) =>
      checkpoint(join(dir, file), Object.fromEntries(names.map((n) => [n, { shape: [2], data: [v, -v] }])));
    const [b0, x, y] = [
      ckpt('l3-base.safetensors', 1),
      ckpt('l3-x.safetensors', 2),
      ckpt('l3-y.safetensors', 5),
    ];
    const yml = join(dir, 'l3.yml');
    writeFileSync(
      yml,
      `merge_method: task_arithmetic\nbase_model: ${b0}\nmodels:\n  - model: ${x}\n    parameters:\n      weight: [0, 0.5, 1]\n  - model: ${y}\n    parameters:\n      weight:\n        - filter: self_attn\n          value: 1\n        - value: 0\n`,
    );
    const out = join(dir, 'l3.safetensors');
    await merge(['--config', yml, '--out', out]);
    const t = readCheckpoint(out);
    // θ = base + w_x·δx (δx = [1, -1]) + w_y·δy (δy = [4, -4]); w_x = 0, 0.5, 1 on layers 0..2, 0 outside
    const want: Record<string, number> = {
      'model.embed_tokens.weight': 1,
      'model.layers.0.mlp.weight': 1,
      'model.layers.1.mlp.weight': 1.5,
      'model.layers.1.self_attn.weight': 1.5 + 4,
      'model.layers.2.mlp.weight': 2,
      'model.norm.weight': 1,
    };
    for (const n of names) expect(Array.from(t.get(n)!.data), n).toEqual([want[n], -want[n]]);
  });

  it('stops at a non-finite weight naming the file, the tensor and the element; nothing written', async () => {
    const nan = checkpoint(join(dir, 'nan.safetensors'), {
      w: { shape: [2, 2], data: [1, 1, 1, 1] },
      b: { shape: [2], data: [0, NaN] },
    });
    const out = join(dir, 'nan-out.safetensors');
    await expect(
      merge(['--method', 'ties', '--base', base, '--experts', `${a},${nan}`, '--weights', '1', '--out', out]),
    ).rejects.toThrow(`${nan}: tensor "b": element 1 is NaN (non-finite weight)`);
    expect(existsSync(out)).toBe(false);
    expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it('names the tensor and the file on a mismatch, and leaves no output behind', async () => {
    const odd = checkpoint(join(dir, 'odd.safetensors'), {
      w: { shape: [4], data: [1, 1, 1, 1] },
      b: { shape: [2], data: [0, 0] },
    });
    const out = join(dir, 'bad.safetensors');
    await expect(
      merge(['--method', 'ties', '--base', base, '--experts', `${a},${odd}`, '--weights', '1', '--out', out]),
    ).rejects.toThrow(`${odd}: tensor "w" has shape [4], ${base} has [2, 2]`);
    const missing = checkpoint(join(dir, 'missing.safetensors'), {
      w: { shape: [2, 2], data: [1, 1, 1, 1] },
    });
    await expect(
      merge(['--method', 'ties', '--base', base, '--experts', missing, '--weights', '1', '--out', out]),
    ).rejects.toThrow(`${missing}: has no tensor "b" (in ${base})`);
    expect(existsSync(out)).toBe(false);
    expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
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

  it('is registered in the CLI: usage errors exit 2, a merge exits 0 and prints the output path', async () => {
    const run = promisify(execFile);
    const main = join(process.cwd(), 'src/cli/main.ts');
    const tsx = join(process.cwd(), 'node_modules/.bin/tsx');
    const bad = await run(tsx, [main, 'merge', '--method', 'ties', '--out', 'x']).catch(
      (e: { code: number; stderr: string }) => e,
    );
    expect((bad as { code: number }).code).toBe(2);
    expect((bad as { stderr: string }).stderr).toContain('merge needs --experts');
    expect((bad as { stderr: string }).stderr).toContain('--densities <d,...>');
    const base = join(dir, 'base.safetensors');
    const out = join(dir, 'child.safetensors');
    const ok = await run(tsx, [
      main,
      'merge',
      '--method',
      'linear',
      '--experts',
      `${base},${join(dir, 'a.safetensors')}`,
      '--weights',
      '1',
      '--out',
      out,
      '--backend',
      'cpu',
    ]);
    expect(ok.stdout).toBe(`${out}\n`);
    expect(Array.from(readCheckpoint(out).get('w')!.data)).toEqual([1.5, 1, 0.5, 1]);
  }, 60_000);
});
