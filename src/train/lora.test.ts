import { describe, expect, it } from 'vitest';
import { createCpuBackend } from '../gpu/cpu';
import { randomF32, rng } from '../testing/backends';
import { createLoraTrainable, loadLoraExpert, loraTargets } from './lora';
import {
  setParam,
  tinyUseLite,
  tinyUseLiteWeights,
  trackAllocations,
  weightedSum,
} from '../testing/lora-fixture';
import type { LoraConfig } from './types';

const TEXTS = [
  'the cat sat on the mat',
  'heart attack',
  'blood pressure flow on the wing',
  'lift and drag',
  'xyz!',
  '',
];
const cfg = (over: Partial<LoraConfig> = {}): LoraConfig => ({
  rank: 4,
  alpha: 8,
  dropout: 0,
  targetModules: 'all-linear',
  ...over,
});

const cpu = () => createCpuBackend();

describe('LoRA on USE-lite (CPU)', () => {
  it('adapts every linear by default and a subset by PEFT suffix patterns', () => {
    const base = tinyUseLite();
    const all = loraTargets(base, cfg());
    expect(all).toEqual([
      'encoder.layers.0.attention.query',
      'encoder.layers.0.attention.key',
      'encoder.layers.0.attention.value',
      'encoder.layers.0.attention.output',
      'encoder.layers.0.adjust_residual',
      'encoder.layers.0.ffn.conv1',
      'encoder.layers.0.ffn.conv2',
      'encoder.layers.1.attention.query',
      'encoder.layers.1.attention.key',
      'encoder.layers.1.attention.value',
      'encoder.layers.1.attention.output',
      'encoder.layers.1.ffn.conv1',
      'encoder.layers.1.ffn.conv2',
      'hidden_layers.tanh_layer_0',
    ]);
    expect(loraTargets(base, cfg({ targetModules: ['query', 'value'] }))).toEqual([
      'encoder.layers.0.attention.query',
      'encoder.layers.0.attention.value',
      'encoder.layers.1.attention.query',
      'encoder.layers.1.attention.value',
    ]);
    expect(() => loraTargets(base, cfg({ targetModules: ['q_proj'] }))).toThrow(/q_proj.*matches no linear/);
    expect(() => createLoraTrainable(base, cpu(), cfg({ rank: 0 }))).toThrow(/rank/);
  });

  it('with B = 0 embeds exactly like the base (training forward and asEmbedder, several batches)', async () => {
    const be = cpu();
    const base = tinyUseLite();
    const lora = createLoraTrainable(base, be, cfg(), 7);
    const want = await base.embed(be, TEXTS, 'query');
    const got = await lora.asEmbedder('x').embed(be, TEXTS, 'query');
    expect(Math.max(...got.map((g, i) => Math.abs(g - want[i])))).toBeLessThanOrEqual(1e-6);
    const f = await lora.forwardTrain(TEXTS, 'query', { training: true, seed: 1 });
    const emb = await be.readF32(f.emb);
    expect(f.emb.shape).toEqual([TEXTS.length, base.dim]);
    expect(Math.max(...emb.map((g, i) => Math.abs(g - want[i])))).toBeLessThanOrEqual(1e-6);
    f.release();
    // A is initialised (Kaiming-uniform bound 1/sqrt(in)), B is zero
    const a = await be.readF32(lora.params()[0].value);
    expect(a.some((x) => x !== 0)).toBe(true);
    expect(Math.max(...a.map(Math.abs))).toBeLessThanOrEqual(1 / Math.sqrt(8));
    expect((await be.readF32(lora.params()[1].value)).every((x) => x === 0)).toBe(true);
    // a nonzero B changes the output (the check above is not vacuous)
    setParam(be, lora.params()[1], randomF32(lora.params()[1].value.size, 3, -0.5, 0.5));
    const moved = await lora.asEmbedder('x').embed(be, TEXTS, 'query');
    expect(Math.max(...moved.map((g, i) => Math.abs(g - want[i])))).toBeGreaterThan(1e-3);
  });

  for (const dropout of [0, 0.2]) {
    it(`finite-difference check of the whole forward w.r.t. LoRA A and B entries (dropout ${dropout})`, async () => {
      const be = cpu();
      const base = tinyUseLite(2);
      const lora = createLoraTrainable(base, be, cfg({ dropout }), 11);
      const params = lora.params();
      // small random B so every A gets a gradient
      params.forEach((p, i) => {
        if (p.name.endsWith('lora_B.weight')) setParam(be, p, randomF32(p.value.size, 100 + i, -0.3, 0.3));
      });
      const texts = ['the cat sat on the mat', 'heart attack blood', 'lift'];
      const r = randomF32(texts.length * base.dim, 5);
      const opts = { training: true, seed: 42 }; // same seed: the same dropout masks in every forward
      const f = await lora.forwardTrain(texts, 'query', opts);
      const dEmb = be.tensor(r, f.emb.shape);
      f.backward(dEmb);
      be.dispose(dEmb, f.emb);
      const loss = async () => {
        const g = await lora.forwardTrain(texts, 'query', opts);
        const s = await weightedSum(be, g.emb, r);
        g.release();
        be.dispose(g.emb);
        return s;
      };
      const pick = rng(9);
      const h = 1e-3;
      const rows: string[] = [];
      let worst = 0;
      let checked = 0;
      for (const p of params) {
        const grad = await be.readF32(p.grad);
        const value = await be.readF32(p.value);
        // two entries per tensor: one at random, one where the analytic gradient is largest
        let big = 0;
        grad.forEach((g, i) => (Math.abs(g) > Math.abs(grad[big]) ? (big = i) : 0));
        for (const i of [Math.floor(pick() * grad.length), big]) {
          const v = value.slice();
          v[i] = value[i] + h;
          setParam(be, p, v);
          const up = await loss();
          v[i] = value[i] - h;
          setParam(be, p, v);
          const down = await loss();
          setParam(be, p, value);
          const fd = (up - down) / (2 * h);
          const err = Math.abs(fd - grad[i]) / Math.max(Math.abs(fd), Math.abs(grad[i]), 1e-2);
          worst = Math.max(worst, err);
          checked++;
          rows.push(
            `${p.name.replace('base_model.model.', '')}[${i}]: analytic ${grad[i].toExponential(4)} fd ${fd.toExponential(4)} rel ${err.toExponential(2)}`,
          );
        }
      }
      console.log(
        `LoRA FD check (dropout ${dropout}, h ${h}, ${checked} entries): worst rel err ${worst.toExponential(2)}\n${rows.join('\n')}`,
      );
      // relative error against max(|fd|, |analytic|, 1e-2): f32 forward, central differences
      expect(worst).toBeLessThan(2e-2);
      expect(rows.length).toBe(2 * params.length);
    });
  }

  it('exports PEFT names in PyTorch layout and loads them back (trainable and saved expert)', async () => {
    const be = cpu();
    const base = tinyUseLite();
    const c = cfg();
    const lora = createLoraTrainable(base, be, c, 3);
    for (const [i, p] of lora.params().entries()) setParam(be, p, randomF32(p.value.size, 50 + i, -0.3, 0.3));
    const out = await lora.exportWeights();
    expect(out.get('base_model.model.encoder.layers.0.adjust_residual.lora_A.weight')!.shape).toEqual([4, 8]);
    expect(out.get('base_model.model.encoder.layers.0.adjust_residual.lora_B.weight')!.shape).toEqual([
      16, 4,
    ]);
    expect(out.get('base_model.model.encoder.layers.1.ffn.conv1.lora_B.weight')!.shape).toEqual([24, 4]);
    expect(out.size).toBe(2 * 14);
    const want = await lora.asEmbedder('a').embed(be, TEXTS, 'query');

    const other = createLoraTrainable(base, be, c, 99);
    other.loadWeights(out);
    const again = await other.exportWeights();
    for (const [name, w] of out) expect([...again.get(name)!.data], name).toEqual([...w.data]);
    expect([...(await other.asEmbedder('b').embed(be, TEXTS, 'query'))]).toEqual([...want]);
    // a saved expert on a fresh backend gives the same vectors
    const expert = loadLoraExpert(base, out, c, 'expert');
    const be2 = cpu();
    expect(
      Math.max(...(await expert.embed(be2, TEXTS, 'query')).map((g, i) => Math.abs(g - want[i]))),
    ).toBeLessThanOrEqual(1e-6);

    const bad = new Map(out);
    bad.set('base_model.model.hidden_layers.tanh_layer_0.lora_A.weight', {
      shape: [16, 4],
      data: new Float32Array(64),
    });
    expect(() => other.loadWeights(bad)).toThrow(
      /tanh_layer_0\.lora_A\.weight has shape \[16,4\].*expected \[4,16\]/,
    );
    const missing = new Map(out);
    missing.delete('base_model.model.encoder.layers.1.ffn.conv2.lora_B.weight');
    expect(() => loadLoraExpert(base, missing, c)).toThrow(/missing .*conv2\.lora_B/);
  });

  it('PEFT layout means what PyTorch means: delta W = (alpha/r) lora_B·lora_A', async () => {
    const be = cpu();
    const weights = tinyUseLiteWeights(4);
    const base = tinyUseLite(4, 2, weights);
    const c = cfg({ targetModules: ['tanh_layer_0'] });
    const r = 4;
    const a = randomF32(r * 16, 61, -0.5, 0.5); // [r, in]
    const b = randomF32(16 * r, 62, -0.5, 0.5); // [out, r]
    const peft = new Map([
      ['base_model.model.hidden_layers.tanh_layer_0.lora_A.weight', { shape: [r, 16], data: a }],
      ['base_model.model.hidden_layers.tanh_layer_0.lora_B.weight', { shape: [16, r], data: b }],
    ]);
    // merged by hand, in the model's 'kn' layout: W[i][o] += s Σ_j A[j][i] B[o][j]
    const merged = weights.tanhW.slice();
    for (let i = 0; i < 16; i++)
      for (let o = 0; o < 16; o++)
        for (let j = 0; j < r; j++) merged[i * 16 + o] += 2 * a[j * 16 + i] * b[o * r + j];
    const want = await tinyUseLite(4, 2, { ...weights, tanhW: merged }).embed(be, TEXTS, 'query');
    const got = await loadLoraExpert(base, peft, c).embed(be, TEXTS, 'query');
    expect(Math.max(...got.map((g, i) => Math.abs(g - want[i])))).toBeLessThan(1e-5);
  });

  it('frees every activation: forward + backward, forward + release, inference', async () => {
    const be = cpu();
    const base = tinyUseLite(6);
    const lora = createLoraTrainable(base, be, cfg({ dropout: 0.1 }), 2);
    await base.embed(be, ['warm'], 'query'); // the base's weights stay uploaded
    const live = trackAllocations(be);
    const f = await lora.forwardTrain(TEXTS, 'query', { training: true, seed: 1 });
    const d = be.tensor(randomF32(f.emb.size, 2), f.emb.shape);
    f.backward(d);
    be.dispose(d, f.emb);
    expect(() => f.backward(d)).toThrow(/already/);
    const g = await lora.forwardTrain(TEXTS, 'passage', { training: false, seed: 1 });
    g.release();
    g.release();
    be.dispose(g.emb);
    await lora.asEmbedder('x').embed(be, TEXTS, 'query');
    expect(live()).toEqual([]);
  });

  it('a few AdamW steps on a toy contrastive objective lower the InfoNCE loss', async () => {
    const be = cpu();
    const base = tinyUseLite(5, 32);
    const lora = createLoraTrainable(base, be, cfg({ dropout: 0.1 }), 1);
    const queries = ['heart attack', 'wing lift', 'cat sat', 'blood flow'];
    const docs = [
      'the mat on the cat',
      'blood pressure heart',
      'drag on the wing',
      'flow of blood',
      'lift and drag',
    ];
    const positive = Uint32Array.from([1, 2, 0, 3]);
    const losses: number[] = [];
    for (let step = 1; step <= 10; step++) {
      const fq = await lora.forwardTrain(queries, 'query', { training: true, seed: 2 * step });
      const fd = await lora.forwardTrain(docs, 'passage', { training: true, seed: 2 * step + 1 });
      const { loss, dq, ddocs } = await be.infoNce(fq.emb, fd.emb, positive, { scale: 20, symmetric: false });
      losses.push(loss);
      fq.backward(dq);
      fd.backward(ddocs);
      be.dispose(dq, ddocs, fq.emb, fd.emb);
      for (const p of lora.params()) {
        be.adamw(p.value, p.grad, p.m, p.v, {
          lr: 1e-2,
          beta1: 0.9,
          beta2: 0.999,
          eps: 1e-8,
          weightDecay: 0.01,
          step,
        });
        be.zero(p.grad);
      }
    }
    console.log(`LoRA toy InfoNCE losses: ${losses.map((l) => l.toFixed(4)).join(' ')}`);
    expect(losses.every(Number.isFinite)).toBe(true);
    expect(losses[losses.length - 1]).toBeLessThan(0.7 * losses[0]);
    // the trained adapters move the inference embedder off the base
    const base0 = await base.embed(be, queries, 'query');
    const now = await lora.asEmbedder('t').embed(be, queries, 'query');
    expect(Math.max(...now.map((g, i) => Math.abs(g - base0[i])))).toBeGreaterThan(1e-3);
  });
});
