/**
 * Weight formats and oversized tensors (issue 13 item 2): embeddings with f16 and q8 linear weights
 * against f32 on held-out real sentences (medquad queries from the shared datasets; the demo queries
 * without them), 'auto' = f16 on WebGPU, and tensors over the backend's limit split into row blocks
 * (token table gathered block by block, linears run block by block) giving the unsplit embeddings, and
 * the unsplit dx and LoRA gradients (training through split linears).
 *
 * Tolerances (cosine of each text's embedding to its f32 embedding, tiny random models):
 *   f16: min >= 0.9999 (weights rounded to 11 significant bits, all arithmetic f32)
 *   q8:  min >= 0.99, mean >= 0.995 (8 bits per weight, one scale per output row)
 * Split vs whole: |Δ| <= 1e-5 per component (the same products in another grouping of rows).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TINY_MODELS_DIR } from '../../../scripts/make-tiny-models';
import type { Backend, Tensor } from '../../core/backend';
import { demoDir, hasSharedDatasets, sharedDatasetsDir } from '../../data/node';
import { createCpuBackend } from '../../gpu/cpu';
import { backendCases, makeWebGPU, randomF32 } from '../../testing/backends';
import { createLoraTrainable } from '../../train/lora';
import { hfLinear } from './common';
import { loadHfModel } from './load';
import { checkWeightFormat } from './weight-check';

const QWEN = join(TINY_MODELS_DIR, 'tiny-qwen3');
const BERT = join(TINY_MODELS_DIR, 'tiny-bert');

/** 24 held-out questions: medquad's (real text) when the shared datasets are there */
const queriesFile = hasSharedDatasets(['medquad'])
  ? join(sharedDatasetsDir(), 'medquad', 'queries.jsonl')
  : join(demoDir(), 'queries.jsonl');
const ALL = readFileSync(queriesFile, 'utf8')
  .split('\n')
  .filter((l) => l.trim())
  .map((l) => (JSON.parse(l) as { text: string }).text);
const TEXTS = ALL.filter((_, i) => i % Math.max(1, Math.floor(ALL.length / 24)) === 0).slice(0, 24);

const maxDiff = (a: Float32Array, b: Float32Array) =>
  a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i])), 0);

describe.each(backendCases())('weight formats and split tensors on $name', ({ name, make }) => {
  let be: Backend;
  beforeAll(async () => {
    be = await make();
  });
  afterAll(() => be?.destroy());

  // CPU only: SwiftShader needs ~15 s to compile a decoder's pipelines; the f16 / q8 linear kernels equal
  // the CPU's on the same weights (linear-f16.test.ts, linear-q8.test.ts), so the cosines carry over
  it.skipIf(name !== 'cpu').each([QWEN, BERT])(
    'f16 and q8 linear weights vs f32: cosine on held-out sentences (%s)',
    async (dir) => {
      const m = await loadHfModel(dir);
      const texts = TEXTS;
      const f16 = await checkWeightFormat(m, be, texts, 'f16');
      const q8 = await checkWeightFormat(m, be, texts, 'q8');
      expect(TEXTS.length).toBe(Math.min(24, ALL.length));
      expect(f16).toMatchObject({ format: 'f16', texts: TEXTS.length });
      expect(f16.minCosine).toBeGreaterThanOrEqual(0.9999);
      expect(q8.format).toBe('q8');
      expect(q8.minCosine).toBeGreaterThanOrEqual(0.99);
      expect(q8.meanCosine).toBeGreaterThanOrEqual(0.995);
      // the formats do change the numbers (so the bounds above measure something)
      expect(f16.minCosine).toBeLessThan(1);
      expect(q8.minCosine).toBeLessThan(f16.minCosine);
    },
  );

  it("uploads linears in the default format ('auto': f16 on WebGPU, f32 on the CPU) unless told", async () => {
    const auto = await loadHfModel(QWEN);
    const f32 = await loadHfModel(QWEN, { weightFormat: 'f32' });
    const on = auto.model.on(be);
    expect(on.get('layers.0.mlp.up_proj.weight')!.dtype).toBe(name === 'webgpu' ? 'f16' : 'f32');
    expect(on.get('embed_tokens.weight')!.dtype).toBe('f32'); // tables stay f32 (gathered)
    expect(on.get('norm.weight')!.dtype).toBe('f32');
    expect(f32.model.on(be).get('layers.0.mlp.up_proj.weight')!.dtype).toBe('f32');
    const q8 = await loadHfModel(QWEN, { weightFormat: 'q8' });
    expect(q8.model.on(be).get('layers.0.self_attn.q_proj.weight')!.dtype).toBe('q8');
    for (const x of [auto, f32, q8]) x.release(be);
  });

  it('splits tensors over the backend limit into row blocks: token table and linears, same embeddings', async () => {
    // tiny-qwen3: table [305, 32], gate/up [64, 32], down [32, 64]: all over 1500 values
    const opts = { weightFormat: 'f32' as const, batchSize: 1, templates: { query: '{text}' } };
    const texts = TEXTS.slice(0, 3).map((t) => t.split(' ').slice(0, 3).join(' '));
    const whole = await (await loadHfModel(QWEN, opts)).embed(createCpuBackend(), texts, 'query');
    const small =
      name === 'cpu'
        ? createCpuBackend({ maxTensorElements: 1500 })
        : await makeWebGPU({ maxTensorElements: 1500 });
    try {
      const m = await loadHfModel(QWEN, opts);
      const got = await m.embed(small, texts, 'query');
      const on = m.model.on(small);
      expect(on.has('embed_tokens.weight')).toBe(false);
      expect(on.get('embed_tokens.weight#0')!.shape).toEqual([46, 32]);
      expect(on.has('layers.1.mlp.down_proj.weight#1')).toBe(true);
      expect(maxDiff(got, whole)).toBeLessThanOrEqual(1e-5);
      // a split linear passes dx back: the sum over blocks equals the whole weight's dx
      const cpu = createCpuBackend();
      const whole32 = await loadHfModel(QWEN, opts);
      const xs = randomF32(2 * 32, 3);
      const dys = randomF32(2 * 64, 4);
      const dxOf = async (b: Backend, o: Map<string, Tensor>) => {
        const call = hfLinear(o).record(b, b.tensor(xs, [2, 32]), 'layers.0.mlp.up_proj');
        expect(call.y.shape).toEqual([2, 64]);
        const dx = call.backward(b.tensor(dys, [2, 64]), true)!;
        return { y: await b.readF32(call.y), dx: await b.readF32(dx) };
      };
      const split = await dxOf(small, on);
      const ref = await dxOf(cpu, whole32.model.on(cpu));
      expect(split.dx.length).toBe(64);
      expect(maxDiff(split.y, ref.y)).toBeLessThanOrEqual(1e-5);
      expect(maxDiff(split.dx, ref.dx)).toBeLessThanOrEqual(1e-5);
      // LoRA trains through split linears: the same loss gradient as on whole weights
      const lcfg = { rank: 2, alpha: 4, dropout: 0, targetModules: ['v_proj', 'down_proj'] };
      const grads = async (b: Backend, base: typeof m) => {
        const lora = createLoraTrainable(base, b, lcfg, 7);
        const t = await lora.forwardTrain(texts, 'query', { training: true, seed: 1 });
        t.backward(b.tensor(randomF32(t.emb.size, 5), t.emb.shape));
        const out = await Promise.all(lora.params().map((p) => b.readF32(p.grad)));
        lora.dispose();
        return out;
      };
      const gs = await grads(small, m);
      const gw = await grads(cpu, whole32);
      expect(gs).toHaveLength(2 * 4);
      gs.forEach((g, i) => expect(maxDiff(g, gw[i])).toBeLessThanOrEqual(1e-5));
      expect(Math.max(...gs.map((g) => maxDiff(g, new Float32Array(g.length))))).toBeGreaterThan(1e-4);
      whole32.release(cpu);
      m.release(small);
    } finally {
      small.destroy();
    }
  });
});
