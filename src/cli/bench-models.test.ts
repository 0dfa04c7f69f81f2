/**
 * The bench's model generator at tiny shapes (the full MiniLM / Qwen3-0.6B shapes are only built by
 * `npm run bench`): sharded safetensors and ONNX external data split over several files, read back by the
 * studio and by ONNX Runtime Web, which must agree; the vocabularies make frequent words single tokens.
 */
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { bertModelFiles, qwen3ModelFiles, writeBenchModel } from '../../scripts/onnx/bench-models';
import { TINY_BERT_CONFIG } from '../../scripts/onnx/tiny-bert';
import { TINY_QWEN3_CONFIG } from '../../scripts/onnx/tiny-qwen3';
import { createCpuBackend } from '../gpu/cpu';
import { loadHfModel } from '../models/hf/load';
import { loadOrtEmbedderFromFolder } from '../models/ort/node';
import { parseBenchArgs } from './bench-args';
import { agreement } from '../bench-web/measure';

const TEXTS = [
  'What are the symptoms of high blood pressure?',
  'High blood pressure often has no symptoms; the patient may have headaches.',
  'What is the treatment for heart disease in children?',
  'Treatment of heart disease depends on the cause and the patient.',
];
const tmp = mkdtempSync(join(tmpdir(), 'bench-models-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const backend = createCpuBackend();

async function studioVsOrt(dir: string, externalData: { path: string; data: string }[]) {
  const studio = await loadHfModel(dir, { batchSize: 4 });
  const ort = await loadOrtEmbedderFromFolder(dir, { executionProviders: ['wasm'], externalData });
  try {
    const a = await studio.embed(backend, TEXTS, 'passage');
    const b = await ort.embed(backend, TEXTS, 'passage');
    return { ...agreement(a, b, studio.dim), ort };
  } finally {
    await ort.dispose();
  }
}

describe('bench model generator (tiny shapes)', () => {
  it('BERT: shards, external data in several files, studio = ORT, words are single tokens', async () => {
    const c = { ...TINY_BERT_CONFIG, vocab_size: 200, initializer_range: 0.02 };
    const m = writeBenchModel(join(tmp, 'bert'), bertModelFiles(TEXTS, c), 16 * 1024);
    expect(existsSync(join(m.dir, 'model.safetensors.index.json'))).toBe(true);
    expect(readdirSync(m.dir).filter((f) => f.endsWith('.safetensors')).length).toBeGreaterThan(1);
    expect(m.externalData.length).toBeGreaterThan(1);
    const { maxDiff, minCos, ort } = await studioVsOrt(m.dir, m.externalData);
    expect(maxDiff).toBeLessThan(1e-5);
    expect(minCos).toBeGreaterThan(0.99999);
    // [CLS] blood pressure [SEP]
    expect(ort.encode('blood pressure')).toHaveLength(4);
  });

  it('Qwen3: byte-level BPE whose frequent pieces are single tokens, studio = ORT (bidirectional)', async () => {
    const c = {
      ...TINY_QWEN3_CONFIG,
      vocab_size: 600,
      max_position_embeddings: 64,
      eos_token_id: 0,
      pad_token_id: 0,
    };
    const m = writeBenchModel(join(tmp, 'qwen3'), qwen3ModelFiles(TEXTS, c, 600), 16 * 1024);
    expect(m.externalData.length).toBeGreaterThan(1);
    const { maxDiff, minCos, ort } = await studioVsOrt(m.dir, m.externalData);
    expect(maxDiff).toBeLessThan(1e-5);
    expect(minCos).toBeGreaterThan(0.99999);
    // "What", " is", " the", " treatment", EOS
    expect(ort.encode('What is the treatment')).toHaveLength(5);
  });
});

describe('bench options', () => {
  it('--json, --gpu and --only pick what runs; unknown names are refused', () => {
    const all = parseBenchArgs(['--json']);
    expect(all.json && all.wants('glove') && all.wants('cpu')).toBe(true);
    const gpu = parseBenchArgs(['--gpu']);
    expect([gpu.wants('glove'), gpu.wants('minilm'), gpu.wants('cpu'), gpu.wants('webgpu')]).toEqual([
      false,
      true,
      false,
      true,
    ]);
    const only = parseBenchArgs(['--only', 'minilm,qwen3']);
    expect([only.wants('minilm'), only.wants('qwen3'), only.wants('use')]).toEqual([true, true, false]);
    expect(() => parseBenchArgs(['--only', 'minilm,gpt'])).toThrow(/unknown section "gpt"/);
    expect(() => parseBenchArgs(['--fast'])).toThrow(/unknown option --fast/);
  });
});
