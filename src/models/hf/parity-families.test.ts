/**
 * Parity of the Gemma, Gemma 2 and Phi-3 decoders (and a sharded checkpoint) against ONNX Runtime on the
 * tiny generated checkpoints (test-assets/tiny-models; their ONNX graphs are written from the HF modeling
 * math in scripts/onnx/tiny-decoders.ts), CPU backend and WebGPU on SwiftShader (STM_SKIP_WEBGPU=1 skips
 * it), causal and bidirectional, last-token pooling. Tolerance: max |diff| <= 1e-5 (f32) on the last hidden
 * state at real positions and on the pooled, L2-normalised embeddings.
 * The padded batch spans more than tiny-phi3's original_max_position_embeddings (16), so its longrope runs
 * on the long factors; SHORT (at most 16 tokens) runs it on the short factors. tiny-gemma2's sliding window
 * (4) is shorter than the batch, its soft-caps bite (1.5 on scores, 2.5 on the LM logits).
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Backend } from '../../core/backend';
import { backendCases } from '../../testing/backends';
import { TINY_MODELS_DIR } from '../../../scripts/make-tiny-models';
import { runOnnxLastHidden, runOnnxLogits } from '../../testing/ort-reference';
import { loadHfFiles, loadHfModel } from './load';
import { HfGenerator } from './generator';

const TEXTS = [
  'The patient in the cell is at rest.',
  'heart',
  'Quiet water and the wings of the aeroplane in the wind.',
  '',
];
const SHORT = ['the cell', 'is at rest', 'heart'];
const TOL = 1e-5;

function maxAbs(a: Float32Array, b: Float32Array, mask: Float32Array, h: number): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let p = 0; p < mask.length; p++)
    if (mask[p]) for (let j = 0; j < h; j++) m = Math.max(m, Math.abs(a[p * h + j] - b[p * h + j]));
  return Number.isNaN(m) ? Infinity : m;
}

const rows2d = (flat: ArrayLike<number>, b: number, t: number) =>
  Array.from({ length: b }, (_, i) => Array.from({ length: t }, (_, j) => flat[i * t + j]));

/** last-token rows of hidden [B,T,H], L2-normalised */
function lastPooled(hidden: Float32Array, mask: Float32Array, B: number, T: number, H: number): Float32Array {
  const out = new Float32Array(B * H);
  for (let b = 0; b < B; b++) {
    const n = mask.subarray(b * T, (b + 1) * T).reduce((x, y) => x + y, 0);
    const row = hidden.subarray((b * T + n - 1) * H, (b * T + n) * H);
    const norm = Math.hypot(...row);
    out.set(
      row.map((v) => v / norm),
      b * H,
    );
  }
  return out;
}

const results: string[] = [];
afterAll(() => {
  if (results.length) console.log(`max |native - onnxruntime|:\n  ${results.join('\n  ')}`);
});

const CASES = ['gemma', 'gemma2', 'phi3'].flatMap((f) =>
  (['causal', 'bidirectional'] as const).map((attention) => ({ f, attention })),
);
/** WebGPU on SwiftShader is slow: one mode per family there (every family and mode runs on the CPU) */
const GPU_CASES = CASES.filter((c, i) => i % 3 === 0 || i === 4);

/** ONNX Runtime's last hidden state, once per graph and batch (both backends compare against it) */
const refs = new Map<string, Promise<Float32Array>>();
function reference(dir: string, onnx: string, ids: number[][], mask: number[][]): Promise<Float32Array> {
  const key = `${dir}|${onnx}|${JSON.stringify(ids)}`;
  if (!refs.has(key)) refs.set(key, runOnnxLastHidden(dir, onnx, ids, mask));
  return refs.get(key)!;
}

for (const bc of backendCases()) {
  describe(`Gemma / Gemma 2 / Phi-3 vs ONNX Runtime (${bc.name})`, () => {
    let backend: Backend;
    beforeAll(async () => {
      backend = await bc.make();
    });
    afterAll(() => backend?.destroy());

    it.each((bc.name === 'cpu' ? CASES : GPU_CASES).map((c) => [c.f, c.attention] as const))(
      'tiny-%s %s: hidden states and last-token embeddings',
      async (f, attention) => {
        const dir = join(TINY_MODELS_DIR, `tiny-${f}`);
        const onnx = attention === 'causal' ? 'onnx/model.onnx' : 'onnx/model_bidirectional.onnx';
        const emb = await loadHfModel(dir, { attention, weightFormat: 'f32' }); // parity is f32's
        const runs: [string, string[]][] = [['batch', TEXTS]];
        if (f === 'phi3') runs.push(['short', SHORT]); // longrope's short factors
        for (const [label, texts] of runs) {
          const input = emb.batch(emb.tokenize(texts));
          const { batch: B, seqLen: T } = input;
          if (label === 'batch') expect(T).toBeGreaterThan(16);
          else expect(T).toBeLessThanOrEqual(16);
          const hT = emb.forward(backend, input);
          const native = await backend.readF32(hT);
          backend.dispose(hT);
          const ref = await reference(dir, onnx, rows2d(input.ids, B, T), rows2d(input.mask, B, T));
          const err = maxAbs(native, ref, input.mask, emb.dim);
          const pooled = await emb.embed(backend, texts, 'passage');
          const perr = maxAbs(
            pooled,
            lastPooled(ref, input.mask, B, T, emb.dim),
            new Float32Array(B).fill(1),
            emb.dim,
          );
          results.push(
            `${bc.name} tiny-${f} ${attention} ${label} (${B} x ${T}): hidden ${err.toExponential(2)}, pooled ${perr.toExponential(2)}`,
          );
          expect(err).toBeLessThanOrEqual(TOL);
          expect(perr).toBeLessThanOrEqual(TOL);
        }
        emb.release(backend);
      },
    );
  });
}

describe('LM heads and a sharded checkpoint (CPU)', () => {
  let backend: Backend;
  beforeAll(async () => {
    backend = await backendCases()[0].make();
  });
  afterAll(() => backend?.destroy());

  it.each(['gemma2', 'phi3'])('tiny-%s: logits of every position match ONNX Runtime', async (f) => {
    const dir = join(TINY_MODELS_DIR, `tiny-${f}`);
    const gen = await HfGenerator.create(await loadHfFiles(dir));
    const ids = gen.tokenizer.encodeText('The patient in the cell is at rest and the heart').slice(0, 20);
    expect(ids.length).toBeGreaterThan(16); // phi3: past original_max_position_embeddings
    const native = await gen.logits(backend, ids);
    const ref = await runOnnxLogits(dir, 'onnx/model_lm.onnx', ids);
    const err = maxAbs(native, ref, new Float32Array(ids.length).fill(1), native.length / ids.length);
    results.push(`cpu tiny-${f} LM logits (${ids.length} positions): ${err.toExponential(2)}`);
    expect(err).toBeLessThanOrEqual(TOL);
    if (f === 'gemma2') expect(Math.max(...native.map(Math.abs))).toBeLessThan(2.5); // soft-capped
    gen.release();
  });

  it('tiny-gemma2: the KV cache (sliding window over cached keys) writes the logits of recomputing', async () => {
    const gen = await HfGenerator.create(await loadHfFiles(join(TINY_MODELS_DIR, 'tiny-gemma2')));
    const prompt = gen.tokenizer.encodeText('the patient in the cell');
    const o = { temperature: 0, topP: 1, maxTokens: 8, seed: 1, keepLogits: true };
    const cached = await gen.generate(backend, prompt, o);
    const full = await gen.generate(backend, prompt, { ...o, noCache: true });
    expect(cached.ids).toEqual(full.ids);
    expect(prompt.length + cached.tokens).toBeGreaterThan(8); // the window (4) slides over cached keys
    const err = Math.max(
      ...cached.logits!.map((l, i) => maxAbs(l, full.logits![i], new Float32Array(1).fill(1), l.length)),
    );
    expect(err).toBeLessThanOrEqual(TOL);
    gen.release();
  });

  it('tiny-gemma-sharded (index + 2 shards) loads and embeds exactly as tiny-gemma', async () => {
    const one = await loadHfModel(join(TINY_MODELS_DIR, 'tiny-gemma'));
    const sharded = await loadHfModel(join(TINY_MODELS_DIR, 'tiny-gemma-sharded'));
    const a = await one.embed(backend, TEXTS, 'query');
    const b = await sharded.embed(backend, TEXTS, 'query');
    expect([...b]).toEqual([...a]);
    one.release();
    sharded.release();
  });
});
