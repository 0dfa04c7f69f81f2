import { readFileSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AutoTokenizer, env } from '@xenova/transformers';
import { describe, expect, it } from 'vitest';
import { makeTinyModels, TINY_MODELS_DIR } from '../../scripts/make-tiny-models';
import { runOnnxLastHidden } from './ort-reference';
import { bertForward, qwen3Forward, type BertLikeConfig, type Qwen3LikeConfig } from './reference-forward';
import { readSafetensorsF32 } from './safetensors-read';

env.localModelPath = TINY_MODELS_DIR;
env.allowRemoteModels = false;

const BERT = join(TINY_MODELS_DIR, 'tiny-bert');
const QWEN = join(TINY_MODELS_DIR, 'tiny-qwen3');
const SENTENCES = ["The patient's heart rate was high.", 'Blood flow in the wing, at low pressure!', 'cells'];

const json = <T>(f: string): T => JSON.parse(readFileSync(f, 'utf8')) as T;
const weights = (dir: string) =>
  readSafetensorsF32(new Uint8Array(readFileSync(join(dir, 'model.safetensors'))));

/** right-pads id rows with `pad`; mask 1 on real tokens */
function pad(rows: number[][], padId: number): { ids: number[][]; mask: number[][] } {
  const t = Math.max(...rows.map((r) => r.length));
  return {
    ids: rows.map((r) => [...r, ...Array<number>(t - r.length).fill(padId)]),
    mask: rows.map((r) => [...r.map(() => 1), ...Array<number>(t - r.length).fill(0)]),
  };
}

function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

async function encodeAll(model: string): Promise<number[][]> {
  const tok = await AutoTokenizer.from_pretrained(model);
  return SENTENCES.map((s) => tok.encode(s));
}

describe('tiny model files', () => {
  it('are deterministic: a fresh generation writes identical bytes', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tiny-models-'));
    try {
      makeTinyModels(dir);
      for (const m of ['tiny-bert', 'tiny-qwen3']) {
        for (const f of [
          ...readdirSync(join(dir, m)).filter((x) => x !== 'onnx'),
          ...readdirSync(join(dir, m, 'onnx')).map((x) => `onnx/${x}`),
        ]) {
          expect(
            Buffer.compare(readFileSync(join(dir, m, f)), readFileSync(join(TINY_MODELS_DIR, m, f))),
            `${m}/${f}`,
          ).toBe(0);
        }
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('tiny-bert safetensors has the HF BertModel names and PyTorch [out,in] shapes', () => {
    const cfg = json<BertLikeConfig & { vocab_size: number; max_position_embeddings: number }>(
      join(BERT, 'config.json'),
    );
    const ws = weights(BERT);
    expect(ws.size).toBe(5 + 16 * 2);
    expect(ws.get('embeddings.word_embeddings.weight')?.shape).toEqual([cfg.vocab_size, 32]);
    expect(ws.get('embeddings.position_embeddings.weight')?.shape).toEqual([64, 32]);
    expect(ws.get('embeddings.token_type_embeddings.weight')?.shape).toEqual([2, 32]);
    expect(ws.get('encoder.layer.1.attention.self.key.weight')?.shape).toEqual([32, 32]);
    expect(ws.get('encoder.layer.0.intermediate.dense.weight')?.shape).toEqual([64, 32]);
    expect(ws.get('encoder.layer.0.output.dense.weight')?.shape).toEqual([32, 64]);
    expect(ws.get('encoder.layer.1.output.LayerNorm.bias')?.shape).toEqual([32]);
    const std = Math.sqrt(
      ws.get('embeddings.word_embeddings.weight')!.data.reduce((a, v) => a + v * v, 0) /
        (cfg.vocab_size * 32),
    );
    expect(std).toBeGreaterThan(0.17);
    expect(std).toBeLessThan(0.23);
  });

  it('tiny-qwen3 safetensors has the HF Qwen3 names, GQA shapes and tied embeddings', () => {
    const cfg = json<Qwen3LikeConfig & { vocab_size: number; tie_word_embeddings: boolean }>(
      join(QWEN, 'config.json'),
    );
    const ws = weights(QWEN);
    expect(cfg.tie_word_embeddings).toBe(true);
    expect(ws.has('lm_head.weight')).toBe(false);
    expect(ws.size).toBe(2 + 11 * 2);
    expect(ws.get('model.embed_tokens.weight')?.shape).toEqual([cfg.vocab_size, 32]);
    expect(ws.get('model.layers.0.self_attn.q_proj.weight')?.shape).toEqual([32, 32]);
    expect(ws.get('model.layers.0.self_attn.k_proj.weight')?.shape).toEqual([16, 32]);
    expect(ws.get('model.layers.1.self_attn.v_proj.weight')?.shape).toEqual([16, 32]);
    expect(ws.get('model.layers.1.self_attn.o_proj.weight')?.shape).toEqual([32, 32]);
    expect(ws.get('model.layers.1.self_attn.q_norm.weight')?.shape).toEqual([8]);
    expect(ws.get('model.layers.0.mlp.down_proj.weight')?.shape).toEqual([32, 64]);
    expect(ws.get('model.norm.weight')?.shape).toEqual([32]);
  });

  it('the safetensors reader rejects a truncated file', () => {
    const bytes = new Uint8Array(readFileSync(join(BERT, 'model.safetensors')));
    expect(() => readSafetensorsF32(bytes.subarray(0, bytes.length - 4))).toThrow(/runs past the end/);
  });
});

describe('tiny model tokenizers (@xenova/transformers)', () => {
  it('tiny-bert: WordPiece with [CLS] ... [SEP], real ids, no [UNK]', async () => {
    const tok = await AutoTokenizer.from_pretrained('tiny-bert');
    const ids: number[] = tok.encode("The patient's heart rate was high.");
    const vocab = json<{ model: { vocab: Record<string, number> } }>(join(BERT, 'tokenizer.json')).model
      .vocab;
    expect(ids[0]).toBe(vocab['[CLS]']);
    expect(ids[ids.length - 1]).toBe(vocab['[SEP]']);
    expect(ids).not.toContain(vocab['[UNK]']);
    expect(ids.slice(1, 4)).toEqual([vocab.the, vocab.patient, vocab["'"]]);
    expect(tok.decode(ids, { skip_special_tokens: true })).toBe("the patient's heart rate was high.");
  });

  it('tiny-qwen3: byte-level BPE appends <|endoftext|> and round-trips', async () => {
    const tok = await AutoTokenizer.from_pretrained('tiny-qwen3');
    const cfg = json<{ eos_token_id: number; vocab_size: number }>(join(QWEN, 'config.json'));
    const text = 'The patient and the cell: Naïve?';
    const ids: number[] = tok.encode(text);
    expect(ids[ids.length - 1]).toBe(cfg.eos_token_id);
    expect(ids.every((i) => i >= 0 && i < cfg.vocab_size)).toBe(true);
    expect(ids.length).toBeLessThan(new TextEncoder().encode(text).length); // merges applied
    expect(tok.decode(ids, { skip_special_tokens: true })).toBe(text);
  });
});

describe('ONNX exports match a plain-TS forward pass of the safetensors weights', () => {
  it('tiny-bert, batch with padding and token types', async () => {
    const cfg = json<BertLikeConfig>(join(BERT, 'config.json'));
    const { ids, mask } = pad(await encodeAll('tiny-bert'), 0);
    const tt = ids.map((r, b) => r.map((_, t) => (b === 1 && t > 3 ? 1 : 0)));
    const ort = await runOnnxLastHidden(BERT, 'onnx/model.onnx', ids, mask, tt);
    const ref = bertForward(cfg, weights(BERT), ids, mask, tt);
    expect(ort.length).toBe(ids.length * ids[0].length * 32);
    expect(maxAbsDiff(ort, ref)).toBeLessThan(1e-4);
    // token types are wired: changing them changes the output
    const ort0 = await runOnnxLastHidden(BERT, 'onnx/model.onnx', ids, mask);
    expect(maxAbsDiff(ort, ort0)).toBeGreaterThan(1e-2);
  });

  for (const causal of [true, false]) {
    it(`tiny-qwen3 ${causal ? 'causal (model.onnx)' : 'bidirectional (model_bidirectional.onnx)'}`, async () => {
      const cfg = json<Qwen3LikeConfig & { eos_token_id: number }>(join(QWEN, 'config.json'));
      const { ids, mask } = pad(await encodeAll('tiny-qwen3'), cfg.eos_token_id);
      const file = causal ? 'onnx/model.onnx' : 'onnx/model_bidirectional.onnx';
      const ort = await runOnnxLastHidden(QWEN, file, ids, mask);
      const ref = qwen3Forward(cfg, weights(QWEN), ids, mask, causal);
      expect(maxAbsDiff(ort, ref)).toBeLessThan(1e-4);
      // the mask kind is what it says: the other variant's reference differs
      expect(maxAbsDiff(ort, qwen3Forward(cfg, weights(QWEN), ids, mask, !causal))).toBeGreaterThan(1e-2);
    });
  }

  it('tiny-qwen3 causal: a prefix does not see later tokens; padding does not change real tokens', async () => {
    const [a] = await encodeAll('tiny-qwen3');
    const h = 32;
    const full = await runOnnxLastHidden(QWEN, 'onnx/model.onnx', [a], [a.map(() => 1)]);
    const prefix = await runOnnxLastHidden(QWEN, 'onnx/model.onnx', [a.slice(0, 3)], [[1, 1, 1]]);
    expect(maxAbsDiff(full.subarray(0, 3 * h), prefix)).toBeLessThan(1e-5);
    const padded = await runOnnxLastHidden(
      QWEN,
      'onnx/model_bidirectional.onnx',
      [[...a, 5, 5]],
      [[...a.map(() => 1), 0, 0]],
    );
    const plain = await runOnnxLastHidden(QWEN, 'onnx/model_bidirectional.onnx', [a], [a.map(() => 1)]);
    expect(maxAbsDiff(padded.subarray(0, a.length * h), plain)).toBeLessThan(1e-5);
  });
});
