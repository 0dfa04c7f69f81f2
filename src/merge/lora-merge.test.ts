/** Merging LoRA experts module by module, folded into the weights the engine runs (tiny USE-lite and BERT, CPU). */
import { describe, expect, it } from 'vitest';
import { createCpuBackend } from '../gpu/cpu';
import { tinyUseLite, trackAllocations } from '../testing/lora-fixture';
import { randomPeft, tinyHf } from '../testing/lora-experts';
import { loadLoraExpert } from '../train/lora';
import { loadMergedLora } from '../train/lora-merged';
import type { LoraConfig } from '../train/types';
import { weightOutIn, type NativeEmbedder } from '../models/native';
import { loraDelta, loraDeltaOn, loraModulesOf, mergeLora, type LoraExpertInput } from './lora-merge';
import type { MergeRecipe } from './recipe';
import { mergeTensor } from './registry';

const TEXTS = ['the cat sat on the mat', 'heart attack', 'blood pressure flow on the wing', 'lift', ''];
const cfg: LoraConfig = { rank: 3, alpha: 6, dropout: 0, targetModules: 'all-linear' };
const maxDiff = (a: Float32Array, b: Float32Array) =>
  a.reduce((m, x, i) => Math.max(m, Math.abs(x - b[i])), 0);

const recipe = (method: string, weights: number[], extra: Partial<MergeRecipe> = {}): MergeRecipe => ({
  method,
  baseModel: 'tiny',
  experts: weights.map((w, i) => ({ id: `e${i}`, name: `E${i}`, params: { weight: w } })),
  options: {},
  ...extra,
});

function experts(model: NativeEmbedder, n: number, c: LoraConfig = cfg): LoraExpertInput[] {
  return Array.from({ length: n }, (_, i) => ({
    name: `E${i}`,
    config: c,
    weights: randomPeft(model.linears, c, 10 + i),
  }));
}

describe('mergeLora', () => {
  for (const which of ['USE-lite (kn)', 'BERT (nk)', 'Qwen3 (nk)']) {
    it(`${which}: one expert by task_arithmetic weight 1 (and linear) embeds as loadLoraExpert`, async () => {
      const model: NativeEmbedder = which.startsWith('USE')
        ? tinyUseLite()
        : (await tinyHf('tiny-bert')).model;
      const be = createCpuBackend();
      const [e] = experts(model, 1);
      const want = await loadLoraExpert(model as never, e.weights, cfg).embed(be, TEXTS, 'query');
      const base = await model.embed(be, TEXTS, 'query');
      expect(maxDiff(want, base)).toBeGreaterThan(1e-2); // the expert moves the vectors
      for (const method of ['task_arithmetic', 'linear']) {
        const deltas = await mergeLora(recipe(method, [1]), [e], model);
        expect(deltas.size).toBe(model.linears.length);
        const got = await loadMergedLora(model, deltas).embed(be, TEXTS, 'query');
        expect(maxDiff(got, want)).toBeLessThanOrEqual(1e-5);
      }
    });
  }

  it('streams module by module: each merged ΔW equals the method on the materialised deltas', async () => {
    const model = tinyUseLite();
    const ex = experts(model, 3);
    const r = recipe('ties', [0.5, 0.3, 0.8], {
      experts: [0.5, 0.3, 0.8].map((w, i) => ({
        id: `e${i}`,
        name: `E${i}`,
        params: { weight: w, density: 0.5 },
      })),
    });
    const seen: string[] = [];
    const kept = await mergeLora(r, ex, model, { keep: false, onModule: (p) => void seen.push(p) });
    expect(kept.size).toBe(0);
    expect(seen).toEqual(model.linears.map((m) => m.path));
    const deltas = await mergeLora(r, ex, model);
    for (const m of model.linears) {
      const ds = ex.map((e) => {
        const p = loraModulesOf(e, model.linears).get(m.path)!;
        return { name: m.path, shape: [m.outDim, m.inDim], data: loraDelta(p.a, p.b, p.rank, m, 2) };
      });
      const zero = { name: m.path, shape: [m.outDim, m.inDim], data: new Float32Array(m.outDim * m.inDim) };
      const want = mergeTensor(
        'ties',
        zero,
        ds,
        r.experts.map((x) => x.params),
        {},
      );
      expect(maxDiff(deltas.get(m.path)!, want.data)).toBe(0);
    }
  });

  it('linear over θ_i = W + ΔW_i: merged ΔW = Σ w_i ΔW_i / Σ w_i; an expert without a module counts as ΔW = 0', async () => {
    const model = tinyUseLite();
    const c2: LoraConfig = { ...cfg, targetModules: ['query'] };
    const [a] = experts(model, 1);
    const b: LoraExpertInput = {
      name: 'Q',
      config: c2,
      weights: randomPeft(
        model.linears.filter((m) => m.path.endsWith('query')),
        c2,
        99,
      ),
    };
    const deltas = await mergeLora(recipe('linear', [1, 3]), [a, b], model);
    for (const m of model.linears) {
      const pa = loraModulesOf(a, model.linears).get(m.path)!;
      const da = loraDelta(pa.a, pa.b, 3, m, 2);
      const pb = loraModulesOf(b, model.linears).get(m.path);
      const db = pb ? loraDelta(pb.a, pb.b, 3, m, 2) : new Float32Array(da.length);
      const want = da.map((x, j) => (x + 3 * db[j]) / 4);
      expect(maxDiff(deltas.get(m.path)!, want)).toBeLessThan(1e-5);
    }
  });

  it('per-layer weights: a gradient over the layers and name filters resolve per module', async () => {
    const model = tinyUseLite();
    const [e] = experts(model, 1);
    const r = recipe('task_arithmetic', [1]);
    r.experts[0].perLayer = { weight: [{ filter: 'attention', value: [0, 1] }, { value: 0.5 }] };
    const deltas = await mergeLora(r, [e], model);
    for (const m of model.linears) {
      const p = loraModulesOf(e, model.linears).get(m.path)!;
      const full = loraDelta(p.a, p.b, 3, m, 2);
      const w = m.path.includes('attention') ? (m.path.includes('layers.0.') ? 0 : 1) : 0.5;
      expect(
        maxDiff(
          deltas.get(m.path)!,
          full.map((x) => w * x),
        ),
      ).toBeLessThan(1e-6);
    }
  });

  it('names the expert, module and shapes on a mismatch, and a tensor that is no linear of the base', async () => {
    const model = tinyUseLite();
    const [e] = experts(model, 1);
    const other = experts(tinyUseLite(), 1, { ...cfg, rank: 2 })[0];
    const bad: LoraExpertInput = { ...other, config: cfg, name: 'Other' };
    await expect(mergeLora(recipe('ties', [1, 1]), [e, bad], model)).rejects.toThrow(
      /LoRA expert "Other", module encoder.layers.0.attention.query: lora_A \[2,8\].*expected \[3,8\]/,
    );
    const extra = new Map(e.weights);
    extra.set('base_model.model.encoder.layers.9.ffn.conv1.lora_A.weight', {
      shape: [3, 8],
      data: new Float32Array(24),
    });
    await expect(mergeLora(recipe('ties', [1]), [{ ...e, weights: extra }], model)).rejects.toThrow(
      /tensor "base_model.model.encoder.layers.9.ffn.conv1.lora_A.weight" is not a lora_A\/lora_B of any linear/,
    );
  });

  it('the merged model uploads its folded weights once per backend and release() frees them', async () => {
    const model = tinyUseLite();
    const be = createCpuBackend();
    await model.embed(be, TEXTS, 'query'); // the base's own weights stay uploaded
    const live = trackAllocations(be);
    const deltas = await mergeLora(recipe('task_arithmetic', [1]), experts(model, 1), model);
    const m = loadMergedLora(model, deltas);
    const first = await m.embed(be, TEXTS, 'query');
    const held = live().length;
    expect(held).toBe(2 * model.linears.length); // W + ΔW and the bias of every linear
    expect(await m.embed(be, TEXTS, 'query')).toEqual(first);
    expect(live().length).toBe(held);
    m.release(be);
    expect(live()).toEqual([]);
    expect(await m.embed(be, TEXTS, 'query')).toEqual(first); // uploaded again on the next use
    m.release();
  });

  it('with a backend: ΔW from its matmul and the mix on it agree with the host path', async () => {
    const model = tinyUseLite();
    const be = createCpuBackend();
    const ex = experts(model, 3);
    const m = model.linears[5];
    const p = loraModulesOf(ex[0], model.linears).get(m.path)!;
    expect(maxDiff(await loraDeltaOn(be, p.a, p.b, 3, m, 2), loraDelta(p.a, p.b, 3, m, 2))).toBeLessThan(
      1e-6,
    );
    for (const method of ['task_arithmetic', 'ties', 'linear']) {
      const r = recipe(method, [0.5, 0.3, 0.8]);
      const host = await mergeLora(r, ex, model);
      const dev = await mergeLora(r, ex, model, { be });
      for (const [path, d] of host) expect(maxDiff(dev.get(path)!, d)).toBeLessThan(1e-5);
    }
  });

  it('slerp sees θ_base = W and θ_1 = W + ΔW (USE-lite stores W as [in, out]): merged ΔW = slerp − W', async () => {
    const model = tinyUseLite();
    const [e] = experts(model, 1);
    const r = recipe('slerp', [1], { options: { t: 0.3 } });
    const deltas = await mergeLora(r, [e], model);
    for (const m of model.linears) {
      const w = weightOutIn(model.hostLinear(m.path), m);
      const p = loraModulesOf(e, model.linears).get(m.path)!;
      const d = loraDelta(p.a, p.b, 3, m, 2);
      const shape = [m.outDim, m.inDim];
      const want = mergeTensor(
        'slerp',
        { name: m.path, shape, data: w },
        [{ name: m.path, shape, data: w.map((x, j) => x + d[j]) }],
        [{ weight: 1 }],
        { t: 0.3 },
      );
      expect(
        maxDiff(
          deltas.get(m.path)!,
          want.data.map((x, j) => x - w[j]),
        ),
      ).toBeLessThan(1e-6);
      expect(
        maxDiff(
          deltas.get(m.path)!,
          d.map((x) => 0.3 * x),
        ),
      ).toBeLessThan(0.05); // close to lerp for a small ΔW
    }
  });
});
