import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AutoTokenizer, env } from '@xenova/transformers';
import { afterAll, describe, expect, it } from 'vitest';
import { GraphBuilder, int } from '../../../scripts/onnx/graph';
import { DT } from '../../../scripts/onnx/protobuf';
import { TINY_MODELS_DIR } from '../../../scripts/make-tiny-models';
import { createCpuBackend } from '../../gpu/cpu';
import { runOnnxLastHidden } from '../../testing/ort-reference';
import { OrtModelError } from './session';
import { loadOrtEmbedderFromFolder } from './node';

env.localModelPath = TINY_MODELS_DIR;
env.allowRemoteModels = false;

const BERT = join(TINY_MODELS_DIR, 'tiny-bert');
const QWEN = join(TINY_MODELS_DIR, 'tiny-qwen3');
const TEXTS = [
  'The patient had high blood pressure.',
  'wing',
  'Children with heart disease, and the effect of treatment on cells.',
];
const backend = createCpuBackend();
const tmp = mkdtempSync(join(tmpdir(), 'ort-embedder-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** manual pooling of [B,T,D] hidden states from ORT, then L2 normalisation, in plain loops */
function manualPool(
  h: Float32Array,
  rows: number[][],
  T: number,
  D: number,
  mode: 'mean' | 'cls' | 'last',
): Float32Array {
  const out = new Float32Array(rows.length * D);
  rows.forEach((r, b) => {
    const v = new Float64Array(D);
    const ts = mode === 'mean' ? r.map((_, t) => t) : [mode === 'cls' ? 0 : r.length - 1];
    for (const t of ts) for (let d = 0; d < D; d++) v[d] += h[(b * T + t) * D + d] / ts.length;
    const n = Math.sqrt(v.reduce((a, x) => a + x * x, 0));
    for (let d = 0; d < D; d++) out[b * D + d] = v[d] / n;
  });
  return out;
}

async function ortReference(
  dir: string,
  file: string,
  model: string,
  mode: 'mean' | 'cls' | 'last',
  pad: number,
): Promise<Float32Array> {
  const tok = await AutoTokenizer.from_pretrained(model);
  const rows: number[][] = TEXTS.map((t) => tok.encode(t));
  const T = Math.max(...rows.map((r) => r.length));
  const ids = rows.map((r) => [...r, ...Array<number>(T - r.length).fill(pad)]);
  const mask = rows.map((r) => [...r.map(() => 1), ...Array<number>(T - r.length).fill(0)]);
  return manualPool(await runOnnxLastHidden(dir, file, ids, mask), rows, T, 32, mode);
}

function expectClose(a: Float32Array, b: Float32Array, tol: number): void {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  expect(m).toBeLessThan(tol);
}

describe('OrtEmbedder on tiny-bert', () => {
  it('mean pooling (default for BERT) equals a manual ORT run + mean pooling + normalisation', async () => {
    const e = await loadOrtEmbedderFromFolder(BERT);
    expect(e.ep).toBe('wasm');
    expect(e.pooling).toBe('mean');
    expect(e.dim).toBe(32);
    expect(e.outputName).toBe('last_hidden_state');
    const got = await e.embed(backend, TEXTS, 'passage');
    expectClose(got, await ortReference(BERT, 'onnx/model.onnx', 'tiny-bert', 'mean', 0), 1e-5);
    // batching and padding do not change a text's embedding
    const e1 = await loadOrtEmbedderFromFolder(BERT, { batchSize: 1 });
    expectClose(await e1.embed(backend, TEXTS, 'passage'), got, 1e-5);
    await Promise.all([e.dispose(), e1.dispose()]);
  });

  it('cls pooling equals token 0 of the manual run', async () => {
    const e = await loadOrtEmbedderFromFolder(BERT, { pooling: 'cls' });
    expectClose(
      await e.embed(backend, TEXTS, 'query'),
      await ortReference(BERT, 'onnx/model.onnx', 'tiny-bert', 'cls', 0),
      1e-5,
    );
    await e.dispose();
  });

  it('falls back to wasm when webgpu cannot create a session, and says why', async () => {
    const e = await loadOrtEmbedderFromFolder(BERT, { executionProviders: ['webgpu', 'wasm'] });
    expect(e.ep).toBe('wasm');
    expect(e.skippedEps).toHaveLength(1);
    expect(e.skippedEps[0]).toMatch(/^webgpu: /);
    await e.dispose();
    await expect(loadOrtEmbedderFromFolder(BERT, { executionProviders: ['webgpu'] })).rejects.toThrow(
      /model\.onnx: cannot run this ONNX model \(webgpu: /,
    );
  });
});

describe('OrtEmbedder on tiny-qwen3 (decoder)', () => {
  it("defaults to last-token pooling on the tokenizer's <|endoftext|> and matches the manual run", async () => {
    const e = await loadOrtEmbedderFromFolder(QWEN, { modelFile: 'onnx/model_bidirectional.onnx' });
    expect(e.pooling).toBe('last');
    const ids = e.encode('the cell');
    expect(ids.filter((i) => i === e.tokenizer.eosId)).toHaveLength(1); // post-processor's EOS, not appended twice
    const want = await ortReference(
      QWEN,
      'onnx/model_bidirectional.onnx',
      'tiny-qwen3',
      'last',
      e.tokenizer.padId,
    );
    expectClose(await e.embed(backend, TEXTS, 'query'), want, 1e-5);
    await e.dispose();
  });

  it('truncates to maxTokens and keeps the trailing EOS', async () => {
    const e = await loadOrtEmbedderFromFolder(QWEN, { maxTokens: 5 });
    const ids = e.encode(TEXTS[2]);
    expect(ids).toHaveLength(5);
    expect(ids[4]).toBe(e.tokenizer.eosId);
    await e.dispose();
  });
});

describe('OrtEmbedder errors and other graph layouts', () => {
  function copyBert(name: string): string {
    const dir = join(tmp, name);
    cpSync(BERT, dir, { recursive: true });
    return dir;
  }

  it('a corrupted or truncated .onnx gives an error naming the file', async () => {
    const dir = copyBert('corrupt');
    writeFileSync(
      join(dir, 'onnx', 'model.onnx'),
      new Uint8Array(300).map((_, i) => (i * 37) & 0xff),
    );
    const p = loadOrtEmbedderFromFolder(dir);
    await expect(p).rejects.toBeInstanceOf(OrtModelError);
    await expect(p).rejects.toThrow(`${join(dir, 'onnx', 'model.onnx')}: cannot run this ONNX model (wasm: `);
    writeFileSync(join(dir, 'onnx', 'model.onnx'), new Uint8Array(0));
    await expect(loadOrtEmbedderFromFolder(dir)).rejects.toThrow(/model\.onnx: empty file/);
  });

  it('a missing or broken tokenizer file is named', async () => {
    const dir = copyBert('no-tokenizer');
    rmSync(join(dir, 'tokenizer.json'));
    await expect(loadOrtEmbedderFromFolder(dir)).rejects.toThrow(/tokenizer\.json: cannot read/);
    writeFileSync(join(dir, 'tokenizer.json'), '{"model": ');
    await expect(loadOrtEmbedderFromFolder(dir)).rejects.toThrow(/tokenizer\.json: not valid JSON/);
  });

  /** a toy graph: out = table[ids] + pos[position_ids], int32 inputs, a 2-D output listed first */
  function toyModel(name: string, extraInput: boolean): string {
    const dir = copyBert(name);
    const g = new GraphBuilder('toy');
    const ids = g.input('input_ids', DT.INT32, ['batch', 'sequence']);
    g.input('attention_mask', DT.INT32, ['batch', 'sequence']);
    const pos = g.input('position_ids', DT.INT32, ['batch', 'sequence']);
    if (extraInput) g.input('past_key_values.0.key', DT.FLOAT, ['batch', 2, 'past', 8]);
    const table = g.f32(
      'table',
      Float32Array.from({ length: 200 * 4 }, (_, i) => (i % 7) - 3),
      [200, 4],
    );
    const ptab = g.f32(
      'ptab',
      Float32Array.from({ length: 64 * 4 }, (_, i) => i / 10),
      [64, 4],
    );
    const h = g.op('Add', [
      g.op('Gather', [table, ids], { axis: int(0) }),
      g.op('Gather', [ptab, pos], { axis: int(0) }),
    ]);
    g.output(g.op('ReduceSum', [h, g.i64([1])], { keepdims: int(0) }), 'pooled', DT.FLOAT, ['batch', 4]);
    g.output(h, 'hidden', DT.FLOAT, ['batch', 'sequence', 4]);
    writeFileSync(join(dir, 'onnx', 'model.onnx'), g.encode());
    return dir;
  }

  it('feeds int32 inputs and position_ids, and reads the first 3-D output', async () => {
    const e = await loadOrtEmbedderFromFolder(toyModel('toy', false), { pooling: 'last', appendEos: false });
    expect(e.outputName).toBe('hidden');
    expect(e.dim).toBe(4);
    const ids = e.encode('wing');
    const t = ids.length - 1;
    const v = [0, 1, 2, 3].map((d) => ((ids[t] * 4 + d) % 7) - 3 + (t * 4 + d) / 10);
    const n = Math.hypot(...v);
    const got = await e.embed(backend, ['wing', 'the patient had a high blood pressure'], 'query');
    expectClose(got.subarray(0, 4), Float32Array.from(v.map((x) => x / n)), 1e-6);
    await e.dispose();
  });

  it('rejects a decoder export that wants a KV cache, naming the input', async () => {
    await expect(loadOrtEmbedderFromFolder(toyModel('kv', true))).rejects.toThrow(
      /model\.onnx: unsupported inputs past_key_values\.0\.key/,
    );
  });
});
