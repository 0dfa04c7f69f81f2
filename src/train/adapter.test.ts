import { describe, expect, it } from 'vitest';
import { createCpuBackend } from '../gpu/cpu';
import { adapterEmbedder, createAdapterTrainable, initAdapterWeights } from './adapter';
import { Rng } from '../util/rng';
import { fakeEmbedder } from '../testing/train-support';
import type { AdapterConfig } from './types';

const D = 6;
const texts = ['alpha', 'beta', 'gamma'];

/** loss = Σ c ⊙ y for fixed random c, so d(loss)/dy = c */
async function lossAndGrads(
  cfg: AdapterConfig,
  weights: Map<string, { shape: number[]; data: Float32Array }>,
  c: Float32Array,
) {
  const be = createCpuBackend();
  const t = createAdapterTrainable(fakeEmbedder(D), be, cfg, 1);
  t.loadWeights(weights);
  const f = await t.forwardTrain(texts, 'query', { training: true, seed: 0 });
  const y = await be.readF32(f.emb);
  const loss = y.reduce((s, v, i) => s + v * c[i], 0);
  f.backward(be.tensor(c, [texts.length, D]));
  const grads = new Map<string, Float32Array>();
  for (const p of t.params()) grads.set(p.name, await be.readF32(p.grad));
  return { loss, grads };
}

for (const cfg of [
  { kind: 'lowrank', rank: 2 },
  { kind: 'full', rank: 0 },
] as AdapterConfig[]) {
  describe(`adapter (${cfg.kind})`, () => {
    it('is the identity at initialisation', async () => {
      const base = fakeEmbedder(D);
      const t = createAdapterTrainable(base, createCpuBackend(), cfg, 7);
      const f = await t.forwardTrain(texts, 'passage', { training: false, seed: 0 });
      const y = await t.backend.readF32(f.emb);
      f.release();
      const e = await base.embed(t.backend, texts, 'passage');
      for (let i = 0; i < y.length; i++) expect(y[i]).toBeCloseTo(e[i], 5);
    });

    it('matches finite differences of the whole forward (f64-safe central differences)', async () => {
      const rng = new Rng(3);
      const w = initAdapterWeights(cfg, D, 5);
      for (const v of w.values()) for (let i = 0; i < v.data.length; i++) v.data[i] += 0.3 * rng.normal();
      const c = Float32Array.from({ length: texts.length * D }, () => rng.normal());
      const { grads } = await lossAndGrads(cfg, w, c);
      const h = 1e-2;
      let checked = 0;
      for (const [name, v] of w) {
        for (let i = 0; i < v.data.length; i += 2) {
          const orig = v.data[i];
          v.data[i] = orig + h;
          const up = (await lossAndGrads(cfg, w, c)).loss;
          v.data[i] = orig - h;
          const down = (await lossAndGrads(cfg, w, c)).loss;
          v.data[i] = orig;
          const fd = (up - down) / (2 * h);
          expect(
            Math.abs(grads.get(name)![i] - fd),
            `${name}[${i}] analytic ${grads.get(name)![i]} fd ${fd}`,
          ).toBeLessThan(2e-3 + 2e-2 * Math.abs(fd));
          checked++;
        }
      }
      expect(checked).toBeGreaterThan(8);
    });

    it('caches base embeddings, round-trips weights and applies them at inference', async () => {
      const base = fakeEmbedder(D);
      const be = createCpuBackend();
      const t = createAdapterTrainable(base, be, cfg, 9);
      const w = initAdapterWeights(cfg, D, 2);
      const rng = new Rng(4);
      for (const v of w.values()) for (let i = 0; i < v.data.length; i++) v.data[i] += 0.2 * rng.normal();
      t.loadWeights(w);
      const out = await t.exportWeights();
      for (const [n, v] of w) expect(Array.from(out.get(n)!.data)).toEqual(Array.from(v.data));
      const f1 = await t.forwardTrain(texts, 'query', { training: true, seed: 0 });
      const y1 = await be.readF32(f1.emb);
      f1.release();
      const calls = base.texts;
      const y2 = await t.asEmbedder('x').embed(be, texts, 'query');
      expect(base.texts).toBe(calls);
      const y3 = await adapterEmbedder(base, cfg, { host: out }, 'saved').embed(
        createCpuBackend(),
        texts,
        'query',
      );
      for (let i = 0; i < y1.length; i++) {
        expect(y2[i]).toBeCloseTo(y1[i], 6);
        expect(y3[i]).toBeCloseTo(y1[i], 6);
      }
      expect(() => t.loadWeights(new Map())).toThrow(/missing tensor/);
    });
  });
}
