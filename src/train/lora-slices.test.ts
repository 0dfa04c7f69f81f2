/**
 * LoRA on row slices of a fused linear (Phi-3's q|k|v of qkv_proj): forward adds s·x·A·B into the slice's
 * output columns only (other columns bit-equal to the base); finite-difference check of A, B and dx of two
 * slice adapters on one linear (CPU and WebGPU); the PEFT form (one fused adapter, lora-peft.ts) equals the
 * slice adapters' effect and reads back exactly; on tiny-phi3, training q_proj + v_proj changes only q and v
 * rows, and the export round-trips through expert files, loadLoraExpert and a merged ΔW.
 */
import { describe, expect, it } from 'vitest';
import type { Backend } from '../core/backend';
import { createCpuBackend } from '../gpu/cpu';
import { backendCases, randomF32 } from '../testing/backends';
import { tinyHf } from '../testing/lora-experts';
import { plainLinear } from '../nn/linear';
import type { LinearModule } from '../nn/ops';
import { expertFiles, PEFT_CONFIG, readExpert } from '../experts/files';
import type { ExpertRecord } from '../experts/record';
import { loraDelta, loraModulesOf, mergeLora } from '../merge/lora-merge';
import { createLoraTrainable, loadLoraExpert, loraTargets } from './lora';
import { loraLinear } from './lora-linear';
import { loadMergedLora } from './lora-merged';
import { disposeSet, uploadSet } from './lora-modules';
import { hostToPeft, peftSliceConfig, peftToHost, type LoraHostPair } from './lora-peft';
import { fusedTargetNotes, selectTargets } from './lora-targets';
import { defaultTrainConfig } from './defaults';
import { trainRun } from './trainer';
import type { LoraConfig, TrainingPair } from './types';

const maxDiff = (a: ArrayLike<number>, b: ArrayLike<number>) =>
  Array.from(a).reduce((m, x, i) => Math.max(m, Math.abs(x - b[i])), 0);

// a fused linear: 5 inputs, 9 outputs = q 4 | k 2 | v 3
const IN = 5;
const OUT = 9;
const M = 3;
const R = 2;
const S = 1.5;
const PATH = 'l.self_attn.qkv_proj';
const fused: LinearModule = {
  path: PATH,
  inDim: IN,
  outDim: OUT,
  slices: [
    { name: 'q_proj', start: 0, len: 4 },
    { name: 'k_proj', start: 4, len: 2 },
    { name: 'v_proj', start: 6, len: 3 },
  ],
};
const W = randomF32(OUT * IN, 1); // [out, in]
const BIAS = randomF32(OUT, 2);
const X = randomF32(M * IN, 3);
const G = randomF32(M * OUT, 4); // loss = Σ G ⊙ y
const targets = selectTargets([fused], ['q_proj', 'self_attn.v_proj']);
const host = new Map<string, LoraHostPair>(
  targets.map((t, i) => [
    t.path,
    { a: randomF32(IN * R, 10 + i), b: randomF32(R * t.outDim, 20 + i) } satisfies LoraHostPair,
  ]),
);

/** y = x·Wᵀ + b + Σ slices s·x·A·B at their columns, in f64 */
function hostForward(x: ArrayLike<number>, pairs: ReadonlyMap<string, LoraHostPair>): Float64Array {
  const y = new Float64Array(M * OUT);
  for (let m = 0; m < M; m++)
    for (let o = 0; o < OUT; o++) {
      let s = BIAS[o];
      for (let i = 0; i < IN; i++) s += x[m * IN + i] * W[o * IN + i];
      y[m * OUT + o] = s;
    }
  for (const t of targets) {
    const { a, b } = pairs.get(t.path)!;
    for (let m = 0; m < M; m++)
      for (let j = 0; j < R; j++) {
        let u = 0;
        for (let i = 0; i < IN; i++) u += x[m * IN + i] * a[i * R + j];
        for (let o = 0; o < t.outDim; o++) y[m * OUT + t.start + o] += S * u * b[j * t.outDim + o];
      }
  }
  return y;
}

const loss = (x: ArrayLike<number>, pairs: ReadonlyMap<string, LoraHostPair>) =>
  hostForward(x, pairs).reduce((s, v, i) => s + v * G[i], 0);

function setup(be: Backend) {
  const w = be.tensor(W, [OUT, IN]);
  const b = be.tensor(BIAS, [OUT]);
  const set = uploadSet(be, host, targets, R, S);
  const grads = new Map(
    targets.map((t) => [
      t.path,
      {
        A: be.tensor(new Float32Array(IN * R), [IN, R]),
        B: be.tensor(new Float32Array(R * t.outDim), [R, t.outDim]),
      },
    ]),
  );
  const lin = loraLinear(
    plainLinear('nk', () => ({ w, b })),
    set,
    grads,
    null,
  );
  const dispose = () => {
    disposeSet(be, set);
    for (const g of grads.values()) be.dispose(g.A, g.B);
    be.dispose(w, b);
  };
  return { lin, grads, dispose };
}

describe('LoRA on row slices of a fused linear', () => {
  it('selects slices by name (whole fused linear by its own name) and says which rows', () => {
    expect(targets.map((t) => [t.path, t.start, t.outDim])).toEqual([
      ['l.self_attn.q_proj', 0, 4],
      ['l.self_attn.v_proj', 6, 3],
    ]);
    expect(selectTargets([fused], ['qkv_proj'])).toMatchObject([
      { path: PATH, start: 0, outDim: 9, slice: false },
    ]);
    expect(selectTargets([fused], 'all-linear')).toHaveLength(1);
    expect(fusedTargetNotes([fused], ['v_proj'])).toEqual([
      'LoRA: "v_proj" is rows 6–8 of the fused qkv_proj (9 rows) in this model: its adapter covers those rows only (B [r, 3])',
    ]);
    expect(() => selectTargets([fused], ['o_proj'])).toThrow(/matches no linear layer/);
  });

  it.each(backendCases())(
    '$name: forward adds into the slice columns only; FD check of A, B, dx',
    async (c) => {
      const be = await c.make();
      const { lin, grads, dispose } = setup(be);
      const x = be.tensor(X, [M, IN]);
      const want = hostForward(X, host);
      const y = await be.readF32(lin.forward(be, x, PATH));
      expect(maxDiff(y, want)).toBeLessThan(1e-5);
      // the k columns (4, 5) are the base's, exactly
      const w0 = be.tensor(W, [OUT, IN]);
      const b0 = be.tensor(BIAS, [OUT]);
      const base = await be.readF32(be.linear(x, w0, b0, 'nk'));
      for (let m = 0; m < M; m++) for (const o of [4, 5]) expect(y[m * OUT + o]).toBe(base[m * OUT + o]);
      expect(maxDiff(y.slice(0, 4), base.slice(0, 4))).toBeGreaterThan(1e-3);

      // gradients of Σ G ⊙ y against central differences of the f64 reference (exact for this bilinear loss up to rounding)
      const call = lin.record(be, x, PATH);
      const dyT = be.tensor(G, [M, OUT]);
      const dx = await be.readF32(call.backward(dyT, true)!);
      const h = 1e-3;
      const fd = (bump: (d: number) => number) => (bump(h) - bump(-h)) / (2 * h);
      const tol = (v: number) => 2e-4 * Math.max(1, Math.abs(v));
      for (const t of targets) {
        const got = { a: await be.readF32(grads.get(t.path)!.A), b: await be.readF32(grads.get(t.path)!.B) };
        for (const which of ['a', 'b'] as const) {
          const p = host.get(t.path)![which];
          for (let j = 0; j < p.length; j++) {
            const num = fd((d) => {
              const q = Float32Array.from(p);
              q[j] += d;
              return loss(X, new Map([...host, [t.path, { ...host.get(t.path)!, [which]: q }]]));
            });
            expect(Math.abs(got[which][j] - num)).toBeLessThan(tol(num));
          }
        }
      }
      for (let j = 0; j < X.length; j++) {
        const num = fd((d) => {
          const q = Float64Array.from(X);
          q[j] += d;
          return loss(q, host);
        });
        expect(Math.abs(dx[j] - num)).toBeLessThan(tol(num));
      }
      be.dispose(x, w0, b0, dyT);
      dispose();
    },
  );

  it('PEFT form: one fused adapter (A stacked, B block-placed) with the same effect, read back exactly', () => {
    const peft = hostToPeft(host, targets, R);
    const a = peft.get(`base_model.model.${PATH}.lora_A.weight`)!;
    const b = peft.get(`base_model.model.${PATH}.lora_B.weight`)!;
    expect(a.shape).toEqual([2 * R, IN]);
    expect(b.shape).toEqual([OUT, 2 * R]);
    // x·(W + ΔW)ᵀ + b with ΔW = s·lora_B·lora_A equals the slice adapters' forward
    const dW = loraDelta(a.data, b.data, 2 * R, fused, S);
    const y = new Float64Array(M * OUT);
    for (let m = 0; m < M; m++)
      for (let o = 0; o < OUT; o++) {
        let s = BIAS[o];
        for (let i = 0; i < IN; i++) s += X[m * IN + i] * (W[o * IN + i] + dW[o * IN + i]);
        y[m * OUT + o] = s;
      }
    expect(maxDiff(y, hostForward(X, host))).toBeLessThan(1e-5);
    for (let i = 0; i < IN; i++) for (const o of [4, 5]) expect(dW[o * IN + i]).toBe(0);
    const back = peftToHost(peft, targets, R);
    for (const t of targets) {
      expect(back.get(t.path)!.a).toEqual(host.get(t.path)!.a);
      expect(back.get(t.path)!.b).toEqual(host.get(t.path)!.b);
    }
    // a lora_B with values outside the slices' blocks is no adapter of these slices
    const bad = new Map(peft);
    const bd = Float32Array.from(b.data);
    bd[0 * 2 * R + R] = 1; // q row, v's columns
    bad.set(`base_model.model.${PATH}.lora_B.weight`, { shape: b.shape, data: bd });
    expect(() => peftToHost(bad, targets, R)).toThrow(
      /row 0, column 2, outside the row slices q_proj \(rows 0–3\)/,
    );
    // adapter_config.json: fused names for PEFT, rank_pattern / alpha_pattern by path where layers differ
    const a2 = (k: number) => ({ shape: [k, IN], data: new Float32Array(k * IN) });
    const w2 = new Map([
      ['base_model.model.layers.0.self_attn.qkv_proj.lora_A.weight', a2(4)],
      ['base_model.model.layers.1.self_attn.qkv_proj.lora_A.weight', a2(2)],
    ]);
    expect(peftSliceConfig(['layers.0.self_attn.q_proj', 'v_proj'], 2, 4, w2)).toEqual({
      target_modules: ['layers.0.self_attn.qkv_proj', 'qkv_proj'],
      rank_pattern: { 'layers.0.self_attn.qkv_proj': 4 },
      alpha_pattern: { 'layers.0.self_attn.qkv_proj': 8 },
      stm_target_modules: ['layers.0.self_attn.q_proj', 'v_proj'],
    });
    expect(peftSliceConfig(['qkv_proj'], 2, 4, w2)).toBeNull();
  });
});

const WORDS = ['heart', 'cell', 'wind', 'water', 'pressure', 'patient', 'rest', 'blood'];
const pairs: TrainingPair[] = Array.from({ length: 8 }, (_, i) => ({
  query: `${WORDS[i % 8]} ${WORDS[(i * 3) % 8]}`,
  positive: `the ${WORDS[i % 8]} and ${WORDS[(i * 3) % 8]} at ${WORDS[(i * 5) % 8]}`,
}));

describe('tiny-phi3: LoRA on q_proj and v_proj (CPU)', () => {
  it('trains only q and v rows; PEFT files, loadLoraExpert and the merged ΔW agree', async () => {
    const { model } = await tinyHf('tiny-phi3', 8);
    const be = createCpuBackend();
    const lora: LoraConfig = { rank: 2, alpha: 4, dropout: 0, targetModules: ['q_proj', 'v_proj'] };
    expect(loraTargets(model, lora).slice(0, 2)).toEqual([
      'layers.0.self_attn.q_proj',
      'layers.0.self_attn.v_proj',
    ]);
    const trainable = createLoraTrainable(model, be, lora, 5);
    await trainRun({
      runId: 'slices',
      trainable,
      pairs,
      config: {
        ...defaultTrainConfig('lora'),
        lora,
        steps: 3,
        batchSize: 8,
        warmupSteps: 1,
        lr: 5e-3,
        hardNegatives: 0,
        checkpointEvery: 0,
      },
      templates: { query: '{text}', passage: '{text}' },
    });
    const weights = await trainable.exportWeights();
    // one fused adapter per qkv_proj (rank 2·2), none on gate_up_proj
    expect([...weights.keys()].every((n) => n.includes('self_attn.qkv_proj.lora_'))).toBe(true);
    const expert = { name: 'qv', config: lora, weights };
    const qkv = model.linears[0]; // q 0..31 | k 32..47 | v 48..63, in 32
    const p = loraModulesOf(expert, model.linears).get(qkv.path)!;
    expect(p.rank).toBe(4);
    const dW = loraDelta(p.a, p.b, p.rank, qkv, lora.alpha / lora.rank);
    const rowMax = (o0: number, o1: number) =>
      maxDiff(dW.slice(o0 * 32, o1 * 32), new Float32Array((o1 - o0) * 32));
    expect(rowMax(0, 32)).toBeGreaterThan(1e-5);
    expect(rowMax(32, 48)).toBe(0);
    expect(rowMax(48, 64)).toBeGreaterThan(1e-5);

    // expert files: PEFT names the fused module, rank_pattern / alpha_pattern keep the scale; read back as slices
    const record = {
      id: 'qv',
      name: 'qv',
      baseModel: 'tiny-phi3',
      method: 'lora',
      config: { ...defaultTrainConfig('lora'), lora },
      data: { source: 'pairs', pairs: 8, negatives: 'none' },
      templates: { query: '{text}', passage: '{text}' },
      createdAt: '2026-01-01T00:00:00.000Z',
      history: [],
    } as unknown as ExpertRecord;
    const files = expertFiles(record, weights);
    const cfg = JSON.parse(files.get(PEFT_CONFIG) as string) as Record<string, unknown>;
    expect(cfg).toMatchObject({
      r: 2,
      lora_alpha: 4,
      target_modules: ['qkv_proj'],
      rank_pattern: { qkv_proj: 4 },
      alpha_pattern: { qkv_proj: 8 },
      stm_target_modules: ['q_proj', 'v_proj'],
    });
    const read = await readExpert(async (n) => {
      const f = files.get(n);
      if (f === undefined) return null;
      return typeof f === 'string' ? (new TextEncoder().encode(f).buffer as ArrayBuffer) : f;
    });
    expect(read.record.config.lora.targetModules).toEqual(['q_proj', 'v_proj']);
    for (const [n, w] of weights) expect(read.weights.get(n)!.data).toEqual(w.data);

    const texts = ['the patient in the cell', 'heart', 'wind and water at rest'];
    const want = await trainable.asEmbedder('t').embed(be, texts, 'query');
    const base = await model.embed(be, texts, 'query');
    expect(maxDiff(want, base)).toBeGreaterThan(1e-6);
    const loaded = await loadLoraExpert(model, read.weights, read.record.config.lora).embed(
      be,
      texts,
      'query',
    );
    expect(maxDiff(loaded, want)).toBeLessThan(1e-6);
    // a trainable loading its own export holds the same adapters
    const again = createLoraTrainable(model, be, lora, 9);
    again.loadWeights(weights);
    const re = await again.exportWeights();
    for (const [n, w] of weights) expect(re.get(n)!.data).toEqual(w.data);
    // the merged ΔW of this one expert (task_arithmetic, weight 1) embeds as the adapters do
    const deltas = await mergeLora(
      {
        method: 'task_arithmetic',
        baseModel: 'tiny-phi3',
        experts: [{ id: 'qv', name: 'qv', params: { weight: 1 } }],
        options: {},
      },
      [expert],
      model,
    );
    expect([...deltas.keys()]).toEqual(['layers.0.self_attn.qkv_proj', 'layers.1.self_attn.qkv_proj']);
    expect(maxDiff(await loadMergedLora(model, deltas).embed(be, texts, 'query'), want)).toBeLessThan(1e-5);
    trainable.dispose();
    again.dispose();
  });
});
