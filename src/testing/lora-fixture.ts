/**
 * Test support for the LoRA tests: a tiny random USE-lite (same structure as the real one: embedding
 * added twice + concat timing, layer 0 with a projected residual 8 -> 16, layer 1 at 16, ReLU FFN,
 * mean pool, tanh dense, L2 norm) with a small SentencePiece vocabulary, and host-side helpers.
 */
import type { Backend, Tensor } from '../core/backend';
import { randomF32 } from './backends';
import { UseLiteEmbedder } from '../models/use-lite/model';
import { UseLiteTokenizer, type VocabEntry } from '../models/use-lite/tokenizer';
import type { UseLiteLayer, UseLiteWeights } from '../models/use-lite/weights';
import type { TrainableEmbedder, TrainParam } from '../train/types';

const WORDS = [
  'the',
  'cat',
  'sat',
  'on',
  'mat',
  'heart',
  'attack',
  'blood',
  'pressure',
  'wing',
  'lift',
  'drag',
  'flow',
];

function vocab(): VocabEntry[] {
  const v: VocabEntry[] = [
    ['<unk>', 0],
    ['<s>', 0],
    ['</s>', 0],
    ['<x1>', 0],
    ['<x2>', 0],
    ['<x3>', 0],
    ['\u2581', -3],
  ];
  for (const c of 'abcdefghijklmnopqrstuvwxyz') v.push([c, -4]);
  for (const w of WORDS) v.push([`\u2581${w}`, -1]);
  return v;
}

function layer(seed: number, dIn: number, dModel: number, dFf: number, heads: number): UseLiteLayer {
  const w = (rows: number, cols: number, k: number) =>
    randomF32(rows * cols, seed + k, -1.5 / Math.sqrt(rows), 1.5 / Math.sqrt(rows));
  const b = (n: number, k: number) => randomF32(n, seed + k, -0.1, 0.1);
  return {
    dIn,
    dModel,
    dFf,
    heads,
    qScale: 1 / Math.sqrt(dIn / heads),
    ln1: { gamma: randomF32(dIn, seed + 1, 0.8, 1.2), beta: b(dIn, 2) },
    wq: w(dIn, dIn, 3),
    wk: w(dIn, dIn, 4),
    wv: w(dIn, dIn, 5),
    bq: b(dIn, 6),
    bk: b(dIn, 7),
    bv: b(dIn, 8),
    wo: w(dIn, dModel, 9),
    bo: b(dModel, 10),
    residual: dIn !== dModel ? { w: w(dIn, dModel, 11), b: b(dModel, 12) } : null,
    ln2: { gamma: randomF32(dModel, seed + 13, 0.8, 1.2), beta: b(dModel, 14) },
    w1: w(dModel, dFf, 15),
    b1: b(dFf, 16),
    w2: w(dFf, dModel, 17),
    b2: b(dModel, 18),
  };
}

/** Random USE-lite-shaped weights: embDim 8, dModel 16, FFN 24, 2 heads; max 24 tokens. */
export function tinyUseLiteWeights(seed = 1): UseLiteWeights {
  const vocabRows = vocab().length;
  const embDim = 8;
  const n = embDim / 2;
  return {
    vocabRows,
    embDim,
    embeddings: randomF32(vocabRows * embDim, seed, -0.5, 0.5),
    invTimescales: Float32Array.from({ length: n }, (_, i) => Math.exp((-i * Math.log(1e4)) / (n - 1))),
    minTimescale: 1,
    maxTimescale: 1e4,
    lnEps: 1e-3,
    maxLength: 24,
    layers: [layer(seed + 100, embDim, 16, 24, 2), layer(seed + 200, 16, 16, 24, 2)],
    outDim: 16,
    tanhW: randomF32(16 * 16, seed + 300, -0.4, 0.4),
    tanhB: randomF32(16, seed + 301, -0.1, 0.1),
  };
}

/** The tiny model as an embedder; batchSize small so a few texts already make several batches. */
export function tinyUseLite(seed = 1, batchSize = 2, weights = tinyUseLiteWeights(seed)): UseLiteEmbedder {
  return new UseLiteEmbedder(weights, new UseLiteTokenizer(vocab()), batchSize);
}

/** Overwrites a parameter's value in place with `data` (its tensor handle stays the same). */
export function setParam(be: Backend, p: TrainParam, data: Float32Array): void {
  const t = be.tensor(data, p.value.shape);
  be.zero(p.value);
  be.addInPlace(p.value, t, 1);
  be.dispose(t);
}

/** Σ r ⊙ x in float64 */
export async function weightedSum(be: Backend, x: Tensor, r: Float32Array): Promise<number> {
  const v = await be.readF32(x);
  let s = 0;
  for (let i = 0; i < v.length; i++) s += r[i] * v[i];
  return s;
}

/**
 * Central-difference check of a LoRA model's whole forward: L = Σ r ⊙ emb (float64 sum of the f32
 * rows) w.r.t. chosen entries of each parameter (`pick` returns indices given the analytic gradient).
 * Relative error |fd - analytic| / max(|fd|, |analytic|, floor). Restores every value it perturbs.
 */
export async function fdCheck(
  lora: TrainableEmbedder,
  be: Backend,
  texts: string[],
  r: Float32Array,
  h: number,
  pick: (grad: Float32Array, k: number) => number[],
  opts = { training: false, seed: 0 },
  floor = 1e-2,
): Promise<{ worst: number; rows: string[] }> {
  const f = await lora.forwardTrain(texts, 'query', opts);
  const d = be.tensor(r, f.emb.shape);
  f.backward(d);
  be.dispose(d, f.emb);
  const loss = async () => {
    const g = await lora.forwardTrain(texts, 'query', opts);
    const s = await weightedSum(be, g.emb, r);
    g.release();
    be.dispose(g.emb);
    return s;
  };
  let worst = 0;
  const rows: string[] = [];
  const params = lora.params();
  for (let k = 0; k < params.length; k++) {
    const p = params[k];
    const grad = await be.readF32(p.grad);
    const value = await be.readF32(p.value);
    for (const i of pick(grad, k)) {
      const v = value.slice();
      v[i] = value[i] + h;
      setParam(be, p, v);
      const up = await loss();
      v[i] = value[i] - h;
      setParam(be, p, v);
      const down = await loss();
      setParam(be, p, value);
      const fd = (up - down) / (2 * h);
      const err = Math.abs(fd - grad[i]) / Math.max(Math.abs(fd), Math.abs(grad[i]), floor);
      worst = Math.max(worst, err);
      rows.push(
        `${p.name.replace('base_model.model.', '')}[${i}]: analytic ${grad[i].toExponential(4)} fd ${fd.toExponential(4)} rel ${err.toExponential(2)}`,
      );
    }
  }
  return { worst, rows };
}

/** index of the largest |g| */
export function argMaxAbs(g: Float32Array): number {
  let best = 0;
  for (let i = 1; i < g.length; i++) if (Math.abs(g[i]) > Math.abs(g[best])) best = i;
  return best;
}

/**
 * Records every tensor the CPU backend allocates from now on (its private `make`); the returned
 * function lists those still alive (a reshaped view shares its tensor's storage and liveness).
 */
export function trackAllocations(be: Backend): () => string[] {
  const cpu = be as unknown as {
    make: (op: string, data: Float32Array | Uint32Array, shape: readonly number[]) => Tensor;
  };
  if (typeof cpu.make !== 'function') throw new Error('trackAllocations: not the CPU backend');
  const made: { op: string; t: Tensor }[] = [];
  const make = cpu.make.bind(be);
  cpu.make = (op, data, shape) => {
    const t = make(op, data, shape);
    made.push({ op, t });
    return t;
  };
  return () =>
    made
      .filter((m) => !(m.t as unknown as { disposed: boolean }).disposed)
      .map((m) => `${m.op} [${m.t.shape.join(',')}]`);
}
