/**
 * Phi-3's fused tensors merge by row slices: a merge of tiny-phi3 checkpoints equals, row block by row
 * block, the same merge of the unfused (q/k/v, gate/up) tensors, for the methods whose result depends on
 * tensor boundaries; a mergekit `filter: q_proj` rule applies to the q rows of qkv_proj only.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { TINY_MODELS_DIR } from '../../scripts/make-tiny-models';
import { parseSafetensors } from '../models/hf/safetensors';
import { randomF32 } from '../testing/backends';
import { mergeCheckpoints, memorySource, type CheckpointMergeArgs } from './checkpoint-merge';
import { importMergekitYaml } from './mergekit-yaml';
import { getMergeMethod, mergeTensor } from './registry';
import { loraDelta, loraModulesOf, mergeLora } from './lora-merge';
import { randomPeft, tinyHf } from '../testing/lora-experts';
import { fusedRowSlices, type RowSlices } from './row-slices';
import type { MergeOptions, ModelParams, NamedTensor } from './types';

const dir = join(TINY_MODELS_DIR, 'tiny-phi3');
const config = readFileSync(join(dir, 'config.json'), 'utf8');
const buf = readFileSync(join(dir, 'model.safetensors'));
const base: NamedTensor[] = [
  ...parseSafetensors(
    buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength) as ArrayBuffer,
    'model.safetensors',
  ),
].map(([name, t]) => ({ name, shape: [...t.shape], data: Float32Array.from(t.data) }));
const noisy = (seed: number): NamedTensor[] =>
  base.map((t, i) => {
    const n = randomF32(t.data.length, seed * 1000 + i, -0.05, 0.05);
    return { ...t, data: t.data.map((x, j) => x + n[j]) };
  });
const experts = [noisy(1), noisy(2), noisy(3)];
const slices = fusedRowSlices(config)!;

/** the same tensors in the unfused layout: each fused tensor as its row slices, named as the slices */
function unfuse(ts: readonly NamedTensor[], s: RowSlices): NamedTensor[] {
  return ts.flatMap((t) => {
    const parts = s(t.name, t.shape);
    if (!parts) return [t];
    const w = t.shape.slice(1).reduce((a, d) => a * d, 1);
    return parts.map((p) => ({
      name: p.name,
      shape: [p.rows, ...t.shape.slice(1)],
      data: t.data.slice(p.start * w, (p.start + p.rows) * w),
    }));
  });
}

async function run(a: Omit<CheckpointMergeArgs, 'base' | 'experts'>, b: NamedTensor[], ex: NamedTensor[][]) {
  const out = new Map<string, Float32Array>();
  await mergeCheckpoints(
    { ...a, base: memorySource('base', b), experts: ex.map((e, i) => memorySource(`e${i}`, e)) },
    (t) => void out.set(t.name, t.data),
  );
  return out;
}

const CASES: [string, ModelParams, MergeOptions][] = [
  ['ties', { weight: 1, density: 0.5 }, {}],
  ['dare_ties', { weight: 1, density: 0.5 }, { seed: 7 }],
  ['breadcrumbs_ties', { weight: 1, density: 0.8, gamma: 0.1 }, {}],
  ['della', { weight: 1, density: 0.5, epsilon: 0.1 }, { seed: 3 }],
  ['slerp', { weight: 1 }, { t: 0.4 }],
  ['multislerp', { weight: 1 }, {}],
  ['model_stock', { weight: 1 }, {}],
];

describe('merging tiny-phi3 checkpoints by row slices', () => {
  it('the view: q|k|v rows of qkv_proj, gate|up rows of gate_up_proj, named as the unfused tensors', () => {
    expect(slices('model.layers.1.self_attn.qkv_proj.weight', [64, 32])).toEqual([
      { name: 'model.layers.1.self_attn.q_proj.weight', start: 0, rows: 32 },
      { name: 'model.layers.1.self_attn.k_proj.weight', start: 32, rows: 16 },
      { name: 'model.layers.1.self_attn.v_proj.weight', start: 48, rows: 16 },
    ]);
    expect(
      slices('model.layers.0.mlp.gate_up_proj.weight', [128, 32])!.map((s) => [s.name, s.start]),
    ).toEqual([
      ['model.layers.0.mlp.gate_proj.weight', 0],
      ['model.layers.0.mlp.up_proj.weight', 64],
    ]);
    expect(slices('model.layers.0.self_attn.o_proj.weight', [32, 32])).toBeNull();
    expect(
      fusedRowSlices(readFileSync(join(TINY_MODELS_DIR, 'tiny-gemma', 'config.json'), 'utf8')),
    ).toBeNull();
  });

  it.each(CASES)(
    '%s: the fused merge equals the unfused merge, row block by row block',
    async (method, p, options) => {
      const m = getMergeMethod(method);
      const n = Math.min(m.maxExperts ?? 3, 3);
      const ex = experts.slice(0, n);
      const a = { method, models: ex.map(() => p), options };
      const fused = await run({ ...a, slices }, base, ex);
      const want = await run(
        a,
        unfuse(base, slices),
        ex.map((e) => unfuse(e, slices)),
      );
      const got = new Map(
        unfuse(
          [...fused].map(([name, data]) => ({ name, data, shape: base.find((t) => t.name === name)!.shape })),
          slices,
        ).map((t) => [t.name, t.data]),
      );
      expect([...got.keys()].sort()).toEqual([...want.keys()].sort());
      for (const [name, d] of want) expect(got.get(name), name).toEqual(d);
      // merged whole (no view) the fused tensors come out otherwise (the per-tensor boundaries matter)
      const whole = await run(a, base, ex);
      const qkv = 'model.layers.0.self_attn.qkv_proj.weight';
      expect(whole.get(qkv)).not.toEqual(fused.get(qkv));
    },
  );

  it('a mergekit filter naming a slice (q_proj) applies to those rows of the fused tensor', async () => {
    const { recipe } = importMergekitYaml(`
models:
  - model: expert
    parameters:
      weight:
        - filter: q_proj
          value: 1
        - value: 0
merge_method: task_arithmetic
base_model: base
`);
    const a = {
      method: recipe.method,
      models: recipe.experts.map((e) => e.params),
      options: recipe.options,
      perLayer: { models: recipe.experts.map((e) => e.perLayer), options: recipe.perLayer },
      slices,
    };
    const out = await run(a, base, [experts[0]]);
    for (const t of base) {
      const got = out.get(t.name)!;
      if (t.name.endsWith('self_attn.qkv_proj.weight')) {
        const e = experts[0].find((x) => x.name === t.name)!.data;
        expect(Array.from(got.subarray(0, 32 * 32))).toEqual(
          Array.from(e.subarray(0, 32 * 32)).map((x, j) =>
            Math.fround(t.data[j] + Math.fround(x - t.data[j])),
          ),
        );
        expect(got.subarray(32 * 32)).toEqual(t.data.subarray(32 * 32));
        expect(got.subarray(0, 32 * 32)).not.toEqual(t.data.subarray(0, 32 * 32));
      } else expect(got, t.name).toEqual(t.data);
    }
  });

  it('LoRA experts on tiny-phi3: TIES merges each ΔW of a fused linear by its q|k|v and gate|up rows', async () => {
    const { model } = await tinyHf('tiny-phi3');
    const cfg = { rank: 3, alpha: 6, dropout: 0, targetModules: 'all-linear' as const };
    const ex = [0, 1].map((i) => ({
      name: `E${i}`,
      config: cfg,
      weights: randomPeft(model.linears, cfg, 60 + i),
    }));
    const recipe = {
      method: 'ties',
      baseModel: 'tiny-phi3',
      experts: ex.map((e, i) => ({ id: `e${i}`, name: e.name, params: { weight: 1, density: 0.5 } })),
      options: {},
    };
    const deltas = await mergeLora(recipe, ex, model);
    for (const m of model.linears.filter((l) => l.slices)) {
      const d = ex.map((e) => {
        const p = loraModulesOf(e, model.linears).get(m.path)!;
        return loraDelta(p.a, p.b, p.rank, m, 2);
      });
      const got = deltas.get(m.path)!;
      for (const s of m.slices!) {
        const cut = (x: Float32Array) => x.slice(s.start * m.inDim, (s.start + s.len) * m.inDim);
        const t = (data: Float32Array) => ({ name: s.name, shape: [s.len, m.inDim], data });
        const want = mergeTensor(
          'ties',
          t(new Float32Array(s.len * m.inDim)),
          d.map((x) => t(cut(x))),
          recipe.experts.map((e) => e.params),
          {},
        );
        expect(cut(got), `${m.path} ${s.name}`).toEqual(want.data);
      }
    }
  });
});
