/**
 * LoRA on the real USE-lite weights (CPU) and on WebGPU (tiny model; STM_SKIP_WEBGPU=1 skips it).
 * The CPU FD check in lora.test.ts covers every adapter; here: the real model's B = 0 identity over
 * several batches, a short FD check on real weights, and WebGPU forward/gradients against the CPU.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import type { Backend } from '../core/backend';
import { createCpuBackend } from '../gpu/cpu';
import { makeWebGPU, randomF32, SKIP_WEBGPU } from '../testing/backends';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { TINY_MODELS_DIR } from '../../scripts/make-tiny-models';
import { HfEmbedder } from '../models/hf/embedder';
import { nodeAssetFetcher } from '../models/node-assets';
import { SHORT_SENTENCES } from '../testing/parity-sentences';
import { loadUseLite, type UseLiteEmbedder } from '../models/use-lite/model';
import { createLoraTrainable } from './lora';
import { setParam, tinyUseLite, weightedSum } from '../testing/lora-fixture';
import type { LoraConfig, TrainableEmbedder } from './types';

const maxDiff = (a: Float32Array, b: Float32Array) =>
  a.reduce((m, x, i) => Math.max(m, Math.abs(x - b[i])), 0);

/** B random in [-lim, lim] (seeded), so A gets gradient too */
function randomB(lora: TrainableEmbedder, be: Backend, lim: number): void {
  lora.params().forEach((p, i) => {
    if (p.name.endsWith('lora_B.weight')) setParam(be, p, randomF32(p.value.size, 300 + i, -lim, lim));
  });
}

async function gradients(
  lora: TrainableEmbedder,
  be: Backend,
  texts: string[],
  r: Float32Array,
): Promise<Float32Array[]> {
  const f = await lora.forwardTrain(texts, 'query', { training: false, seed: 0 });
  const d = be.tensor(r, f.emb.shape);
  f.backward(d);
  be.dispose(d, f.emb);
  return Promise.all(lora.params().map((p) => be.readF32(p.grad)));
}

describe('LoRA on the real USE-lite weights (CPU)', () => {
  let model: UseLiteEmbedder;
  const cfg: LoraConfig = { rank: 16, alpha: 32, dropout: 0, targetModules: 'all-linear' };
  beforeAll(async () => {
    model = await loadUseLite(nodeAssetFetcher());
  });

  it('with B = 0 equals the base embedder on sentences of mixed lengths (several batches)', async () => {
    const be = createCpuBackend();
    const texts = [...SHORT_SENTENCES.slice(0, 24), ''];
    const lora = createLoraTrainable(model, be, cfg, 1);
    const want = await model.embed(be, texts, 'query');
    expect(maxDiff(await lora.asEmbedder('l').embed(be, texts, 'query'), want)).toBeLessThanOrEqual(1e-6);
    const f = await lora.forwardTrain(texts, 'query', { training: true, seed: 3 });
    expect(maxDiff(await be.readF32(f.emb), want)).toBeLessThanOrEqual(1e-6);
    f.release();
  });

  it('finite differences agree with the backward on real weights (a few entries)', async () => {
    const be = createCpuBackend();
    const texts = ['What are the symptoms of type 2 diabetes?', 'The wing stalls at high angle of attack.'];
    const lora = createLoraTrainable(model, be, cfg, 2);
    randomB(lora, be, 0.02);
    const r = randomF32(texts.length * model.dim, 8);
    const grads = await gradients(lora, be, texts, r);
    const params = lora.params();
    const loss = async () => {
      const g = await lora.forwardTrain(texts, 'query', { training: false, seed: 0 });
      const s = await weightedSum(be, g.emb, r);
      g.release();
      be.dispose(g.emb);
      return s;
    };
    const h = 1e-2;
    let worst = 0;
    const rows: string[] = [];
    // the largest-gradient entry of A and B in the first layer's query, the residual projection, layer 1's FFN and the tanh dense
    for (const k of [0, 1, 8, 9, 22, 23, 26, 27]) {
      const p = params[k];
      const g = grads[k];
      let i = 0;
      g.forEach((x, j) => (Math.abs(x) > Math.abs(g[i]) ? (i = j) : 0));
      const value = await be.readF32(p.value);
      const v = value.slice();
      v[i] += h;
      setParam(be, p, v);
      const up = await loss();
      v[i] = value[i] - h;
      setParam(be, p, v);
      const down = await loss();
      setParam(be, p, value);
      const fd = (up - down) / (2 * h);
      const err = Math.abs(fd - g[i]) / Math.max(Math.abs(fd), Math.abs(g[i]), 1e-2);
      worst = Math.max(worst, err);
      rows.push(
        `${p.name}[${i}]: analytic ${g[i].toExponential(4)} fd ${fd.toExponential(4)} rel ${err.toExponential(2)}`,
      );
    }
    console.log(`real USE-lite LoRA FD (h ${h}): worst rel ${worst.toExponential(2)}\n${rows.join('\n')}`);
    expect(worst).toBeLessThan(2e-2);
  });
});

async function tinyDecoder(name: string): Promise<HfEmbedder> {
  const dir = join(TINY_MODELS_DIR, name);
  const json = (f: string) => JSON.parse(readFileSync(join(dir, f), 'utf8')) as Record<string, unknown>;
  const b = readFileSync(join(dir, 'model.safetensors'));
  const weights = b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer;
  return HfEmbedder.create(
    {
      config: json('config.json'),
      tokenizer: json('tokenizer.json'),
      tokenizerConfig: json('tokenizer_config.json'),
      weights,
      source: dir,
    },
    { batchSize: 2, weightFormat: 'f32' }, // the CPU comparison is f32's (WebGPU's default is f16)
  );
}

describe.skipIf(SKIP_WEBGPU)('LoRA on WebGPU (tiny USE-lite, Qwen3, Phi-3)', () => {
  for (const [name, make] of [
    ['USE-lite', async () => tinyUseLite(3)],
    ['Qwen3', () => tinyDecoder('tiny-qwen3')],
    ['Phi-3 (fused projections, partial longrope)', () => tinyDecoder('tiny-phi3')],
  ] as const)
    it(`${name}: B = 0 equals the base; forward and gradients match the CPU`, async () => {
      const gpu = await makeWebGPU();
      const cpu = createCpuBackend();
      try {
        const base = await make();
        const texts = [
          'the cat sat on the mat',
          'heart attack',
          'blood pressure flow on the wing',
          'lift',
          '',
        ];
        const cfg: LoraConfig = { rank: 4, alpha: 8, dropout: 0, targetModules: 'all-linear' };
        const lg = createLoraTrainable(base, gpu, cfg, 5);
        const lc = createLoraTrainable(base, cpu, cfg, 5);
        expect(
          maxDiff(await lg.asEmbedder('g').embed(gpu, texts, 'query'), await base.embed(gpu, texts, 'query')),
        ).toBeLessThanOrEqual(1e-6);
        randomB(lg, gpu, 0.3);
        randomB(lc, cpu, 0.3);
        const wantEmb = await lc.asEmbedder('c').embed(cpu, texts, 'query');
        expect(maxDiff(await lg.asEmbedder('g').embed(gpu, texts, 'query'), wantEmb)).toBeLessThan(1e-4);
        const r = randomF32(texts.length * base.dim, 4);
        const [gg, gc] = [await gradients(lg, gpu, texts, r), await gradients(lc, cpu, texts, r)];
        gc.forEach((want, k) => {
          const scale = Math.max(...want.map(Math.abs), 1e-3);
          expect(maxDiff(gg[k], want) / scale, lc.params()[k].name).toBeLessThan(1e-3);
        });
      } finally {
        gpu.destroy();
      }
    });
});
