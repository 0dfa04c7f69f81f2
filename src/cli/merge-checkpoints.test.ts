import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../testing/cli';
import { checkpoint, mergeCli as merge, readCheckpoint } from '../testing/cli-merge';
import { TINY_MODELS_DIR } from '../../scripts/make-tiny-models';
import { mergeTensor } from '../merge/registry';
import { randomF32 } from '../testing/backends';

const dir = mkdtempSync(join(tmpdir(), 'stm-cli-merge-ckpt-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

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

describe('stm merge on the command line', () => {
  it('is registered in the CLI: usage errors exit 2, a merge exits 0 and prints the output path', async () => {
    const bad = await runCli(['merge', '--method', 'ties', '--out', 'x']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('merge needs --experts');
    expect(bad.stderr).toContain('--densities <d,...>');
    const base = join(dir, 'base.safetensors');
    const out = join(dir, 'child.safetensors');
    const ok = await runCli([
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
    expect(ok.code).toBe(0);
    expect(ok.stdout).toBe(`${out}\n`);
    expect(Array.from(readCheckpoint(out).get('w')!.data)).toEqual([1.5, 1, 0.5, 1]);
  }, 60_000);

  it('a Phi-3 folder (config.json beside the files): qkv_proj merges by its q|k|v rows', async () => {
    const phi = join(dir, 'phi3');
    mkdirSync(phi);
    copyFileSync(join(TINY_MODELS_DIR, 'tiny-phi3', 'config.json'), join(phi, 'config.json'));
    const name = 'model.layers.0.self_attn.qkv_proj.weight'; // q 32 | k 16 | v 16 rows of 32
    const data = (seed: number) => Array.from(randomF32(64 * 32, seed));
    const files = [0, 1, 2].map((i) =>
      checkpoint(join(phi, `${i}.safetensors`), { [name]: { shape: [64, 32], data: data(70 + i) } }),
    );
    const out = join(phi, 'ties.safetensors');
    await merge([
      '--method',
      'ties',
      '--base',
      files[0],
      '--experts',
      `${files[1]},${files[2]}`,
      '--weights',
      '1,1',
      '--densities',
      '0.5,0.5',
      '--out',
      out,
    ]);
    const got = readCheckpoint(out).get(name)!.data;
    for (const [start, rows] of [
      [0, 32],
      [32, 16],
      [48, 16],
    ]) {
      const t = (seed: number) => ({
        name: 'q',
        shape: [rows, 32],
        data: Float32Array.from(data(seed).slice(start * 32, (start + rows) * 32)),
      });
      const want = mergeTensor(
        'ties',
        t(70),
        [t(71), t(72)],
        [
          { weight: 1, density: 0.5 },
          { weight: 1, density: 0.5 },
        ],
        {},
      );
      expect(Array.from(got.slice(start * 32, (start + rows) * 32))).toEqual(Array.from(want.data));
    }
  });
});
