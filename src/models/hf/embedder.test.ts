import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createCpuBackend } from '../../gpu/cpu';
import { applyTemplate } from '../types';
import { TINY_MODELS_DIR } from '../../../scripts/make-tiny-models';
import { DEFAULT_INSTRUCTION, HfEmbedder, type HfEmbedderOptions, type HfModelFiles } from './embedder';
import { parseSafetensors, writeSafetensors, type WritableTensor } from './safetensors';

const BERT = join(TINY_MODELS_DIR, 'tiny-bert');
const QWEN = join(TINY_MODELS_DIR, 'tiny-qwen3');
const json = (dir: string, f: string) =>
  JSON.parse(readFileSync(join(dir, f), 'utf8')) as Record<string, unknown>;
function folder(dir: string): HfModelFiles & { weights: ArrayBuffer } {
  const b = readFileSync(join(dir, 'model.safetensors'));
  return {
    config: json(dir, 'config.json'),
    tokenizer: json(dir, 'tokenizer.json'),
    tokenizerConfig: json(dir, 'tokenizer_config.json'),
    weights: b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer,
    source: dir,
  };
}
const make = (dir: string, opts: HfEmbedderOptions = {}, patch: Partial<HfModelFiles> = {}) =>
  HfEmbedder.create({ ...folder(dir), ...patch }, opts);
const TEXTS = ['the patient is in the cell', 'wind', 'heart rate and blood flow at rest'];

function maxDiff(a: Float32Array, b: Float32Array): number {
  expect(a.length).toBe(b.length);
  return a.reduce((m, x, i) => Math.max(m, Math.abs(x - b[i])), 0);
}

describe('HfEmbedder', () => {
  it('has BERT templates and the STM decoder formats, overridable by the caller', async () => {
    const bert = await make(BERT);
    expect(bert.templates).toEqual({ query: '{text}', passage: '{title}\n{text}' });
    const dec = await make(QWEN);
    expect(applyTemplate(dec.templates.query, { text: 'what is x?' })).toBe(
      `${DEFAULT_INSTRUCTION}\nQuery: what is x?`,
    );
    expect(applyTemplate(dec.templates.passage, { text: 'x is y.' })).toBe(
      'Represent this passage\npassage: x is y.',
    );
    expect(applyTemplate(dec.templates.passage, { text: 'x is y.', title: 'X' })).toBe(
      'Represent this passage\npassage: X\nx is y.',
    );
    const custom = await make(QWEN, {
      instruction: 'Find medical abstracts',
      templates: { passage: '{text}' },
    });
    expect(custom.templates).toEqual({ query: 'Find medical abstracts\nQuery: {text}', passage: '{text}' });
    expect(dec.pooling).toBe('last');
    expect(dec.attention).toBe('bidirectional');
    expect(bert.pooling).toBe('mean');
  });

  it('truncates to maxTokens keeping the trailing special token', async () => {
    const long = 'the patient '.repeat(40);
    const bert = await make(BERT, { maxTokens: 6 });
    const [full] = (await make(BERT)).tokenize(['the patient the patient']);
    const [cut] = bert.tokenize([long]);
    expect(cut).toHaveLength(6);
    expect(cut[0]).toBe(full[0]); // [CLS]
    expect(cut[5]).toBe(full[full.length - 1]); // [SEP]
    expect(cut.slice(0, 5)).toEqual(full.slice(0, 5));
    const dec = await make(QWEN, { maxTokens: 4 });
    const [d] = dec.tokenize([long]);
    expect(d).toHaveLength(4);
    expect(d[3]).toBe(302); // <|endoftext|>
    // the model's positions cap the default 512
    expect((await make(QWEN)).maxTokens).toBe(64);
    expect((await make(QWEN)).tokenize([long.repeat(3)])[0]).toHaveLength(64);
  });

  it('appends EOS for last-token pooling when the tokenizer does not', async () => {
    const withPost = (await make(QWEN)).tokenize(TEXTS);
    const tj = json(QWEN, 'tokenizer.json');
    tj.post_processor = null;
    const bare = await make(QWEN, {}, { tokenizer: tj });
    expect(bare.tokenize(TEXTS)).toEqual(withPost);
    expect(withPost.every((s) => s[s.length - 1] === 302 && s.filter((x) => x === 302).length === 1)).toBe(
      true,
    );
  });

  it('rejects pooling that does not fit the architecture', async () => {
    await expect(make(BERT, { pooling: 'last' })).rejects.toThrow(/pooling 'last' is for decoders/);
    await expect(make(QWEN, { pooling: 'cls' })).rejects.toThrow(/pooling 'cls' is for encoders/);
    await expect(make(QWEN, { eosTokenId: 5000 })).rejects.toThrow(/EOS id 5000 is outside the vocabulary/);
  });

  it('uploads the weights once per backend and again only after release', async () => {
    const emb = await make(QWEN);
    const cpu = createCpuBackend();
    let uploads = 0;
    const tensor = cpu.tensor.bind(cpu);
    cpu.tensor = (data, shape) => {
      uploads++;
      return tensor(data, shape);
    };
    const count = async () => {
      uploads = 0;
      await emb.embed(cpu, ['wind'], 'query');
      return uploads;
    };
    const first = await count();
    const second = await count();
    // 2 layers x 11 tensors (2 norms, q/k/v/o, q/k norms, gate/up/down) + embeddings + final norm
    expect(first - second).toBe(24);
    emb.release(cpu);
    expect(await count()).toBe(first);
  });

  it('reads an embedding table over the device tensor limit from the host, with the same result', async () => {
    for (const [dir, limit] of [
      [BERT, 4000],
      [QWEN, 9000],
    ] as const) {
      const emb = await make(dir);
      const want = await emb.embed(createCpuBackend(), TEXTS, 'query');
      const small = createCpuBackend({ maxTensorElements: limit }); // below vocab x hidden
      emb.release();
      expect(maxDiff(await emb.embed(small, TEXTS, 'query'), want)).toBeLessThan(1e-6);
    }
  });

  it('runs qwen2 (q/k/v biases) and llama (biases via attention_bias) weights: a v bias equals an o bias of W_o b_v', async () => {
    // derive llama / qwen2 checkpoints from the tiny qwen3 by dropping the q/k norms
    const base = parseSafetensors(folder(QWEN).weights);
    const cfg = json(QWEN, 'config.json');
    const tensors = (extra: (layer: number) => Record<string, WritableTensor>) => {
      const out = new Map<string, WritableTensor>();
      for (const [k, t] of base) if (!/_norm\.weight$/.test(k) || !k.includes('self_attn')) out.set(k, t);
      for (let i = 0; i < 2; i++)
        for (const [k, t] of Object.entries(extra(i))) out.set(`model.layers.${i}.self_attn.${k}`, t);
      return writeSafetensors(out);
    };
    const vec = (n: number, f: (i: number) => number) => ({
      shape: [n],
      data: Float32Array.from({ length: n }, (_, i) => f(i)),
    });
    const bv = (i: number) => vec(16, (j) => Math.sin(j + 7 * i));
    const wo = (i: number) => base.get(`model.layers.${i}.self_attn.o_proj.weight`)!.data; // [hidden 32, q heads 4 x 8]
    const qwen2 = tensors((i) => ({
      'q_proj.bias': vec(32, () => 0),
      'k_proj.bias': vec(16, () => 0),
      'v_proj.bias': bv(i),
    }));
    // v bias b_v -> each head's output gains b_v (softmax weights sum to 1) -> o_proj adds W_o [b_v per q head]
    const llama = tensors((i) => ({
      'q_proj.bias': vec(32, () => 0),
      'k_proj.bias': vec(16, () => 0),
      'v_proj.bias': vec(16, () => 0),
      'o_proj.bias': vec(32, (r) => {
        let s = 0;
        for (let h = 0; h < 4; h++)
          for (let d = 0; d < 8; d++) s += wo(i)[r * 32 + h * 8 + d] * bv(i).data[Math.floor(h / 2) * 8 + d];
        return s;
      }),
    }));
    const plain = tensors(() => ({}));
    const e2 = await make(QWEN, {}, { config: { ...cfg, model_type: 'qwen2' }, weights: qwen2 });
    const el = await make(
      QWEN,
      {},
      { config: { ...cfg, model_type: 'llama', attention_bias: true }, weights: llama },
    );
    const e0 = await make(QWEN, {}, { config: { ...cfg, model_type: 'llama' }, weights: plain });
    const cpu = createCpuBackend();
    const [a, b, c] = await Promise.all([e2, el, e0].map((e) => e.embed(cpu, TEXTS, 'passage')));
    expect(maxDiff(a, b)).toBeLessThan(1e-5);
    expect(maxDiff(a, c)).toBeGreaterThan(1e-3);
    await expect(make(QWEN, {}, { config: { ...cfg, model_type: 'qwen2' }, weights: plain })).rejects.toThrow(
      /tensor "model\.layers\.0\.self_attn\.q_proj\.bias": missing \(expected shape \[32\]\)/,
    );
  });
});
