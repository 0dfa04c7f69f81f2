/**
 * Parity: the native engine (CPU backend and WebGPU on SwiftShader; STM_SKIP_WEBGPU=1 skips the latter)
 * against ONNX Runtime on the same tiny random weights (test-assets/tiny-models, made by the Vitest
 * global setup), over a padded batch of texts of different lengths. Tolerance: max |diff| <= 1e-4 on the
 * last hidden state at real (non-padded) positions.
 */
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Backend } from '../../core/backend';
import { backendCases } from '../../testing/backends';
import { TINY_MODELS_DIR } from '../../../scripts/make-tiny-models';
import { runOnnxLastHidden } from '../../testing/ort-reference';
import type { HfEmbedder } from './embedder';
import { HF_FILES, loadHfModel } from './load';

const BERT = join(TINY_MODELS_DIR, 'tiny-bert');
const QWEN = join(TINY_MODELS_DIR, 'tiny-qwen3');
const TEXTS = [
  'The patient in the cell is at rest.',
  'heart',
  'Quiet water and the wings of the aeroplane at low pressure, in the wind tunnel of the station.',
  '',
];
const TOL = 1e-4;

/** max |a - b| over the positions where mask is 1 ([B, T] mask, [B, T, H] values) */
function maskedMaxAbs(a: Float32Array, b: Float32Array, mask: Float32Array, h: number): number {
  expect(a.length).toBe(b.length);
  expect(a.length).toBe(mask.length * h);
  let m = 0;
  let real = 0;
  for (let p = 0; p < mask.length; p++) {
    if (!mask[p]) continue;
    real++;
    for (let j = 0; j < h; j++) m = Math.max(m, Math.abs(a[p * h + j] - b[p * h + j]));
  }
  expect(real).toBeGreaterThan(0);
  return Number.isNaN(m) ? Infinity : m;
}

function rows2d(flat: ArrayLike<number>, b: number, t: number): number[][] {
  return Array.from({ length: b }, (_, i) => Array.from({ length: t }, (_, j) => flat[i * t + j]));
}

/** pooled + L2-normalised rows computed in JS from reference hidden states */
function poolRef(
  hidden: Float32Array,
  mask: Float32Array,
  b: number,
  t: number,
  h: number,
  mode: 'mean' | 'last' | 'cls',
): Float32Array {
  const out = new Float32Array(b * h);
  for (let i = 0; i < b; i++) {
    const n = mask.subarray(i * t, (i + 1) * t).reduce((x, y) => x + y, 0);
    const row = out.subarray(i * h, (i + 1) * h);
    const take = (pos: number, w: number) =>
      row.forEach((_, j) => (row[j] += w * hidden[(i * t + pos) * h + j]));
    if (mode === 'mean') for (let p = 0; p < n; p++) take(p, 1 / n);
    else take(mode === 'cls' ? 0 : n - 1, 1);
    const norm = Math.hypot(...row);
    row.forEach((v, j) => (row[j] = v / norm));
  }
  return out;
}

const results: string[] = [];
afterAll(() => {
  if (results.length) console.log(`max |native - onnxruntime| on real positions:\n  ${results.join('\n  ')}`);
});

const MODELS = [
  { name: 'tiny-bert', dir: BERT, onnx: 'onnx/model.onnx', opts: {}, pool: 'mean' as const },
  {
    name: 'tiny-bert cls',
    dir: BERT,
    onnx: 'onnx/model.onnx',
    opts: { pooling: 'cls' as const },
    pool: 'cls' as const,
  },
  {
    name: 'tiny-qwen3 causal',
    dir: QWEN,
    onnx: 'onnx/model.onnx',
    opts: { attention: 'causal' as const },
    pool: 'last' as const,
  },
  {
    name: 'tiny-qwen3 bidirectional',
    dir: QWEN,
    onnx: 'onnx/model_bidirectional.onnx',
    opts: {},
    pool: 'last' as const,
  },
];

for (const bc of backendCases()) {
  describe(`HF native engine vs ONNX Runtime (${bc.name})`, () => {
    let backend: Backend;
    beforeAll(async () => {
      backend = await bc.make();
    });
    afterAll(() => backend?.destroy());

    for (const m of MODELS) {
      it(`${m.name}: last hidden state and pooled embeddings`, async () => {
        const emb: HfEmbedder = await loadHfModel(m.dir, { ...m.opts, weightFormat: 'f32' }); // parity is f32's
        const seqs = emb.tokenize(TEXTS);
        expect(new Set(seqs.map((s) => s.length)).size).toBeGreaterThan(2); // padding is exercised
        const input = emb.batch(seqs);
        const { batch: B, seqLen: T } = input;
        const hiddenT = emb.forward(backend, input);
        expect(hiddenT.shape).toEqual([B, T, emb.dim]);
        const native = await backend.readF32(hiddenT);
        backend.dispose(hiddenT);
        const ref = await runOnnxLastHidden(m.dir, m.onnx, rows2d(input.ids, B, T), rows2d(input.mask, B, T));
        const err = maskedMaxAbs(native, ref, input.mask, emb.dim);
        results.push(`${bc.name} ${m.name}: hidden ${err.toExponential(2)} (batch ${B} x ${T})`);
        expect(err).toBeLessThanOrEqual(TOL);

        const pooled = await emb.embed(backend, TEXTS, 'passage');
        const want = poolRef(ref, input.mask, B, T, emb.dim, m.pool);
        const perr = maskedMaxAbs(pooled, want, new Float32Array(B).fill(1), emb.dim);
        results.push(`${bc.name} ${m.name}: pooled ${perr.toExponential(2)}`);
        expect(perr).toBeLessThanOrEqual(TOL);
        emb.release(backend);
      });
    }

    it('tiny-qwen3: causal and bidirectional differ, and a text embeds the same alone as in a padded batch', async () => {
      const bi = await loadHfModel(QWEN);
      const causal = await loadHfModel(QWEN, { attention: 'causal' });
      const a = await bi.embed(backend, TEXTS, 'query');
      const c = await causal.embed(backend, TEXTS, 'query');
      expect(maskedMaxAbs(a, c, new Float32Array(TEXTS.length).fill(1), bi.dim)).toBeGreaterThan(1e-3);
      const alone = await bi.embed(backend, [TEXTS[0]], 'query');
      expect(
        maskedMaxAbs(alone, a.subarray(0, bi.dim), new Float32Array(1).fill(1), bi.dim),
      ).toBeLessThanOrEqual(1e-5);
      bi.release();
      causal.release();
    });
  });
}

describe('HF loader on a corrupted model', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'stm-hf-bad-'));
    for (const f of HF_FILES) copyFileSync(join(BERT, f), join(dir, f));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('names the file and the tensor when model.safetensors is truncated or its header is damaged', async () => {
    const good = readFileSync(join(BERT, 'model.safetensors'));
    writeFileSync(join(dir, 'model.safetensors'), good.subarray(0, good.length - 100));
    await expect(loadHfModel(dir)).rejects.toThrow(
      /model\.safetensors: tensor ".+": data_offsets .* run past the end of the data section/,
    );
    const bad = Buffer.from(good);
    bad.writeUInt32LE(good.length, 0); // header length beyond the file
    writeFileSync(join(dir, 'model.safetensors'), bad);
    await expect(loadHfModel(dir)).rejects.toThrow(
      /stm-hf-bad-.*\/model\.safetensors: header length \d+ exceeds the file's remaining/,
    );
  });

  it('names a missing tensor and a missing file', async () => {
    const good = readFileSync(join(BERT, 'model.safetensors'));
    const text = good
      .toString('latin1')
      .replace('encoder.layer.1.output.dense.bias', 'encoder.layer.1.output.dense.bias_');
    writeFileSync(join(dir, 'model.safetensors'), Buffer.from(text, 'latin1'));
    await expect(loadHfModel(dir)).rejects.toThrow(
      /model\.safetensors: tensor "encoder\.layer\.1\.output\.dense\.bias": missing \(expected shape \[32\]\)/,
    );
    rmSync(join(dir, 'tokenizer.json'));
    await expect(loadHfModel(dir)).rejects.toThrow(/tokenizer\.json: missing from the model folder/);
  });
});
