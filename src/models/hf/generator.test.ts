/**
 * Text generation on the decoder engine (tiny-qwen3, test-assets/tiny-models, on the CPU backend and WebGPU
 * unless STM_SKIP_WEBGPU=1): logits against ONNX Runtime (onnx/model_lm.onnx, the tied LM head) and against
 * the plain-TS reference forward with a separate lm_head.weight; the KV cache against recomputing the whole
 * sequence each step; seeds; EOS, token-limit, positions and stop-string stops; cancel.
 * Tolerance: max |logit diff| <= 1e-4 (logits are O(1) on these random weights).
 */
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Backend } from '../../core/backend';
import { TINY_MODELS_DIR } from '../../../scripts/make-tiny-models';
import { backendCases } from '../../testing/backends';
import { runOnnxLogits } from '../../testing/ort-reference';
import { qwen3Forward, type Qwen3LikeConfig } from '../../testing/reference-forward';
import { readSafetensorsF32 } from '../../testing/safetensors-read';
import { HfGenerator, type GenerateIdsOptions } from './generator';
import { loadHfFiles } from './load';
import { writeSafetensors } from './safetensors';
import type { HfModelFiles } from './embedder';

const QWEN = join(TINY_MODELS_DIR, 'tiny-qwen3');
const TOL = 1e-4;
const MESSAGES = [
  { role: 'system' as const, content: 'Write queries.' },
  { role: 'user' as const, content: 'The cell.' },
];

function maxAbs(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return Number.isNaN(m) ? Infinity : m;
}

let files: HfModelFiles;
beforeAll(async () => {
  files = await loadHfFiles(QWEN, { generation: true });
});

describe('HfGenerator (no backend)', () => {
  it('renders the chat template with the assistant turn opened and reads the EOS ids of all three files', async () => {
    const g = await HfGenerator.create(files);
    expect(g.template?.render(MESSAGES)).toBe(
      '<|im_start|>system\nWrite queries.<|im_end|>\n' +
        '<|im_start|>user\nThe cell.<|im_end|>\n<|im_start|>assistant\n',
    );
    const ids = g.prompt(MESSAGES);
    expect(ids[0]).toBe(303); // <|im_start|> is one token
    expect(ids.filter((t) => t === 304)).toHaveLength(2); // <|im_end|> twice
    expect(g.tokenizer.decode(ids)).toBe('system\nWrite queries.\nuser\nThe cell.\nassistant\n');
    // config.json 302, generation_config.json [304, 302], tokenizer eos_token 302
    expect([...g.eosIds].sort()).toEqual([302, 304]);
  });

  it("falls back to ChatML (Qwen3's think block off) when the model's template needs Jinja the renderer lacks", async () => {
    // Qwen3's template tests str.startswith, which @huggingface/jinja 0.2.2 does not have
    const qwen3Like =
      "{%- for message in messages %}{%- if message.content.startswith('<tool_response>') %}T{%- endif %}" +
      "{{- '<|im_start|>' + message.role + '\\n' + message.content + '<|im_end|>\\n' }}{%- endfor %}";
    const tc = { ...(JSON.parse(files.tokenizerConfig as string) as object), chat_template: qwen3Like };
    const g = await HfGenerator.create({ ...files, tokenizerConfig: tc });
    expect(g.templateNote).toMatch(
      /tokenizer_config\.json: "chat_template" failed to render .*; using the ChatML turns/,
    );
    const want =
      '<|im_start|>system\nWrite queries.<|im_end|>\n<|im_start|>user\nThe cell.<|im_end|>\n' +
      '<|im_start|>assistant\n<think>\n\n</think>\n\n';
    expect(g.tokenizer.decode(g.prompt(MESSAGES))).toBe(want.replace(/<\|im_(start|end)\|>/g, ''));
    expect(g.template?.render(MESSAGES, true, { enable_thinking: false })).toBe(want);
    const thinking = await HfGenerator.create({ ...files, tokenizerConfig: tc }, { thinking: true });
    expect(thinking.template?.render(MESSAGES, true, { enable_thinking: true })).toBe(
      want.slice(0, -'<think>\n\n</think>\n\n'.length),
    );
    // the model's own template (it renders) is used as is, with no note
    expect((await HfGenerator.create(files)).templateNote).toBeNull();
    // without ChatML tokens there is nothing to fall back to: the template's error stands
    const tj = JSON.parse(files.tokenizer as string) as {
      added_tokens: { content: string }[];
      model: { vocab: Record<string, number> };
    };
    tj.added_tokens = tj.added_tokens.filter((t) => !t.content.startsWith('<|im_'));
    delete tj.model.vocab['<|im_start|>'];
    delete tj.model.vocab['<|im_end|>'];
    await expect(HfGenerator.create({ ...files, tokenizer: tj, tokenizerConfig: tc })).rejects.toThrow(
      /tokenizer_config\.json: "chat_template" failed to render/,
    );
  });

  it('refuses a model without a chat template, an encoder, a bad generation_config.json and a missing untied head', async () => {
    const tc = JSON.parse(files.tokenizerConfig as string) as Record<string, unknown>;
    delete tc.chat_template;
    const base = await HfGenerator.create({ ...files, tokenizerConfig: tc });
    expect(() => base.prompt(MESSAGES)).toThrow(/tokenizer_config\.json: has no "chat_template"/);
    const own = await HfGenerator.create(
      { ...files, tokenizerConfig: tc },
      { chatTemplate: '{{ messages[0].content }}!' },
    );
    expect(own.tokenizer.decode(own.prompt(MESSAGES))).toBe('Write queries.!');
    const bert = await loadHfFiles(join(TINY_MODELS_DIR, 'tiny-bert'));
    await expect(HfGenerator.create(bert)).rejects.toThrow(/config\.json: model_type "bert" is an encoder/);
    await expect(
      HfGenerator.create({ ...files, generationConfig: '{"eos_token_id": [999]}' }),
    ).rejects.toThrow(/generation_config\.json: "eos_token_id" must be token ids below 305/);
    await expect(HfGenerator.create({ ...files, generationConfig: '{' })).rejects.toThrow(
      /generation_config\.json: not valid JSON/,
    );
    const cfg = { ...(JSON.parse(files.config as string) as object), tie_word_embeddings: false };
    await expect(HfGenerator.create({ ...files, config: cfg })).rejects.toThrow(
      /model\.safetensors: tensor "lm_head\.weight": missing: config\.json says tie_word_embeddings false/,
    );
  });
});

for (const bc of backendCases()) {
  describe(`HfGenerator on ${bc.name}`, () => {
    let be: Backend;
    let g: HfGenerator;
    let prompt: number[];
    beforeAll(async () => {
      be = await bc.make();
      g = await HfGenerator.create(files, { weightFormat: 'f32' }); // parity is f32's
      prompt = g.prompt(MESSAGES);
    });
    afterAll(() => {
      g?.release();
      be?.destroy();
    });
    const run = (o: Partial<GenerateIdsOptions>) =>
      g.generate(be, prompt, { maxTokens: 12, temperature: 0, topP: 1, seed: 1, ...o });

    it('logits of every position match ONNX Runtime (tied LM head)', async () => {
      const mine = await g.logits(be, prompt);
      const ref = await runOnnxLogits(QWEN, 'onnx/model_lm.onnx', prompt);
      expect(mine.length).toBe(prompt.length * 305);
      const err = maxAbs(mine, ref);
      console.log(
        `${bc.name}: max |logits - onnxruntime| ${err.toExponential(2)} over ${prompt.length} positions`,
      );
      expect(err).toBeLessThanOrEqual(TOL);
    });

    it('an untied lm_head.weight is used: logits match the reference forward times that head', async () => {
      const ws = readSafetensorsF32(new Uint8Array(readFileSync(join(QWEN, 'model.safetensors'))));
      const [V, H] = [305, 32];
      const head = Float32Array.from({ length: V * H }, (_, i) => Math.sin(i * 0.37) * 0.3);
      const tensors = new Map([...ws].map(([k, t]) => [k, { shape: t.shape, data: t.data }]));
      tensors.set('lm_head.weight', { shape: [V, H], data: head });
      const cfg = { ...(JSON.parse(files.config as string) as Qwen3LikeConfig), tie_word_embeddings: false };
      const untied = await HfGenerator.create(
        { ...files, config: cfg, weights: writeSafetensors(tensors) },
        { weightFormat: 'f32' },
      );
      const ids = prompt.slice(0, 9);
      const hidden = qwen3Forward(cfg, ws, [ids], [ids.map(() => 1)], true);
      const want = new Float64Array(ids.length * V);
      for (let t = 0; t < ids.length; t++)
        for (let v = 0; v < V; v++) {
          let s = 0;
          for (let k = 0; k < H; k++) s += hidden[t * H + k] * head[v * H + k];
          want[t * V + v] = s;
        }
      expect(maxAbs(await untied.logits(be, ids), want)).toBeLessThanOrEqual(TOL);
      untied.release();
    });

    it('the LM head takes the weight format (f16, q8): its blocks in it, logits near f32', async () => {
      const want = await g.logits(be, prompt);
      expect(g.model.head.on(be).map((t) => t.dtype)).toEqual(['f32']);
      const scale = want.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
      // relative to the largest |logit| (the whole model in the format, 2 layers and the head): f16 rounds
      // weights to 11 significant bits (measured 1.2e-3), q8 to 8 bits per row (measured 3.4e-2)
      for (const [format, tol] of [
        ['f16', 2e-3],
        ['q8', 5e-2],
      ] as const) {
        const q = await HfGenerator.create(files, { weightFormat: format });
        const got = await q.logits(be, prompt);
        expect(q.model.head.on(be).map((t) => t.dtype)).toEqual([format]);
        const err = maxAbs(got, want) / scale;
        console.log(`${bc.name}: ${format} max |logits - f32| / max |logit| ${err.toExponential(2)}`);
        expect(err).toBeLessThanOrEqual(tol);
        expect(err).toBeGreaterThan(0);
        q.release();
      }
    });

    it('the KV cache writes the tokens and logits of recomputing the whole sequence, greedy and sampled', async () => {
      for (const o of [{ temperature: 0 }, { temperature: 1.3, topP: 0.9, seed: 7 }]) {
        const cached = await run({ ...o, keepLogits: true, maxTokens: 16 });
        const full = await run({ ...o, keepLogits: true, maxTokens: 16, noCache: true });
        expect(cached.ids).toEqual(full.ids);
        expect(cached.tokens).toBe(full.tokens);
        expect(cached.tokens).toBeGreaterThanOrEqual(8); // several cached steps (an EOS may end it before 16)
        const errs = cached.logits!.map((l, i) => maxAbs(l, full.logits![i]));
        expect(Math.max(...errs)).toBeLessThanOrEqual(TOL);
        // and the first step's logits are the prompt's last row from ONNX Runtime
        const ref = await runOnnxLogits(QWEN, 'onnx/model_lm.onnx', prompt);
        expect(maxAbs(cached.logits![0], ref.subarray((prompt.length - 1) * 305))).toBeLessThanOrEqual(TOL);
      }
    });

    it('the same seed writes the same tokens; other seeds others; maxTokens caps the output', async () => {
      const outs: string[] = [];
      for (const seed of [42, 43, 44, 45]) {
        for (const topP of [1, 0.95]) {
          const o = { temperature: 1, topP, maxTokens: 12, seed };
          const a = await run(o);
          const b = await run(o);
          expect(b).toEqual(a);
          outs.push(a.ids.join(','));
        }
      }
      expect(new Set(outs).size).toBeGreaterThan(4);
      const five = await run({ maxTokens: 5 });
      expect(five).toMatchObject({ finish: 'length', reason: 'max-tokens', tokens: 5 });
      expect(five.ids).toHaveLength(5);
      expect(five.text).toBe(g.tokenizer.decode(five.ids));
    });

    it('stops at an EOS id (from generation_config.json), at the model positions and at a stop string', async () => {
      const greedy = await run({ maxTokens: 10 });
      const k = 3;
      const eosTok = greedy.ids[k];
      const first = greedy.ids.indexOf(eosTok);
      const withEos = await HfGenerator.create({ ...files, generationConfig: { eos_token_id: [eosTok] } });
      const r = await withEos.generate(be, prompt, { maxTokens: 10, temperature: 0, topP: 1, seed: 1 });
      expect(r).toMatchObject({ finish: 'stop', reason: 'eos', tokens: first + 1 });
      expect(r.ids).toEqual(greedy.ids.slice(0, first));
      withEos.release();

      const long = [...prompt, ...prompt, ...prompt].slice(0, 60);
      const p = await g.generate(be, long, { maxTokens: 50, temperature: 0, topP: 1, seed: 1 });
      expect(p).toMatchObject({ finish: 'length', reason: 'positions', tokens: 4 });
      await expect(
        g.generate(be, prompt.concat(prompt, prompt), { maxTokens: 4, temperature: 0, topP: 1, seed: 1 }),
      ).rejects.toThrow(/leave no room in the model's 64 positions/);

      const text = greedy.text;
      const stop = text.slice(4, 6);
      expect(stop.length).toBe(2);
      const s = await run({ maxTokens: 10, stop: ['@@never@@', stop] });
      expect(s).toMatchObject({
        finish: 'stop',
        reason: 'stop-string',
        text: text.slice(0, text.indexOf(stop)),
      });
    });

    it('cancel: an aborted signal stops generation with an AbortError', async () => {
      const ctrl = new AbortController();
      let seen = 0;
      await expect(
        run({
          maxTokens: 20,
          signal: ctrl.signal,
          onToken: (n) => {
            seen = n;
            if (n === 3) ctrl.abort();
          },
        }),
      ).rejects.toMatchObject({ name: 'AbortError' });
      expect(seen).toBe(3);
      // the generator is still usable afterwards
      expect((await run({ maxTokens: 2 })).ids).toHaveLength(2);
    });
  });
}
