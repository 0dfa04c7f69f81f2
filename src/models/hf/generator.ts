/**
 * Text generation on the studio's decoder engine: a decoder model folder (qwen3, qwen2, llama, gemma, gemma2, phi3) with its LM
 * head, tokenizer, chat template and EOS ids. The prompt runs once (prefill) into a KV cache, then one
 * token per step (or, for checking the cache, the whole sequence again every step); each step's logits go
 * to the sampler (sampling.ts) until an EOS id, the token limit, the model's positions or a stop string.
 */
import type { Backend, Tensor } from '../../core/backend';
import { inferenceOps } from '../../nn/inference';
import { Rng } from '../../util/rng';
import { CHATML_TEMPLATE, ChatTemplate, chatTemplateOf, type ChatTurn } from './chat-template';
import { hfLinear, padBatch } from './common';
import { ConfigError, DECODER_MODEL_TYPES, parseConfig, type DecoderConfig } from './config';
import { DecoderModel } from './decoder';
import { weightSource, type HfModelFiles } from './embedder';
import type { WeightFormatChoice } from './fit';
import { KvCache } from './kv-cache';
import { checkSampling, sampleToken, type SamplingOptions } from './sampling';
import { HfTokenizer } from './tokenizer';

export interface HfGeneratorOptions {
  /** generator id (default: the source) */
  id?: string;
  /** a Jinja chat template used instead of tokenizer_config.json's */
  chatTemplate?: string;
  /** Qwen3's thinking mode (the template variable enable_thinking; default false: answer directly) */
  thinking?: boolean;
  /** how linear weights are uploaded (default 'auto': f16 on WebGPU, f32 on the CPU; fit.ts) */
  weightFormat?: WeightFormatChoice;
}

/** a two-turn conversation every usable template renders */
const PROBE: ChatTurn[] = [
  { role: 'system', content: 'a' },
  { role: 'user', content: 'b' },
];

/** The template to use: the option, else the model's; a model template this renderer cannot run falls back
 * to ChatML when the tokenizer has its tokens (`note` says so), else its error stands. */
function pickTemplate(
  text: string | null,
  opts: HfGeneratorOptions,
  file: string,
  specials: Record<string, string>,
  tokenizer: HfTokenizer,
): { template: ChatTemplate | null; note: string | null } {
  if (opts.chatTemplate)
    return { template: new ChatTemplate(opts.chatTemplate, 'chatTemplate option', specials), note: null };
  if (text === null) return { template: null, note: null };
  try {
    const t = new ChatTemplate(text, file, specials);
    t.render(PROBE, true, { enable_thinking: opts.thinking ?? false });
    return { template: t, note: null };
  } catch (e) {
    if (tokenizer.idOf('<|im_start|>') === null || tokenizer.idOf('<|im_end|>') === null) throw e;
    const why = e instanceof Error ? e.message : String(e);
    return {
      template: new ChatTemplate(CHATML_TEMPLATE, `${file} (ChatML fallback)`, specials),
      note: `${why}; using the ChatML turns its tokenizer's <|im_start|>/<|im_end|> name instead`,
    };
  }
}

export interface GenerateIdsOptions extends SamplingOptions {
  /** most new tokens */
  maxTokens: number;
  seed: number;
  /** stop strings: the text ends before the first one written */
  stop?: readonly string[];
  signal?: AbortSignal;
  /** recompute the whole sequence every step instead of using the KV cache (the cache's reference) */
  noCache?: boolean;
  /** keep each step's logits (tests) */
  keepLogits?: boolean;
  /** after each new token: tokens written and the most that may be */
  onToken?: (done: number, limit: number) => void;
}

export interface GenerateIdsResult {
  /** the new tokens, EOS excluded */
  ids: number[];
  text: string;
  finish: 'stop' | 'length';
  /** what stopped it: an EOS id, a stop string, maxTokens or the model's positions */
  reason: 'eos' | 'stop-string' | 'max-tokens' | 'positions';
  /** new tokens the model wrote (the EOS included) */
  tokens: number;
  /** each step's logits [V] when keepLogits */
  logits?: Float32Array[];
}

function parseJsonObject(text: string | object, file: string): Record<string, unknown> {
  let v: unknown = text;
  if (typeof text === 'string') {
    try {
      v = JSON.parse(text);
    } catch (e) {
      throw new ConfigError(file, `not valid JSON (${e instanceof Error ? e.message : String(e)})`);
    }
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v))
    throw new ConfigError(file, 'not a JSON object');
  return v as Record<string, unknown>;
}

/** eos_token_id of generation_config.json (an id or a list) */
function generationEos(gen: Record<string, unknown>, file: string, vocab: number): number[] {
  const e = gen.eos_token_id;
  if (e == null) return [];
  const ids = Array.isArray(e) ? e : [e];
  if (!ids.every((x) => Number.isInteger(x) && x >= 0 && x < vocab))
    throw new ConfigError(file, `"eos_token_id" must be token ids below ${vocab}, got ${JSON.stringify(e)}`);
  return ids as number[];
}

export class HfGenerator {
  /** ids that end generation: config.json's, generation_config.json's and the tokenizer's eos_token */
  readonly eosIds: ReadonlySet<number>;

  private constructor(
    readonly id: string,
    readonly config: DecoderConfig,
    readonly model: DecoderModel,
    readonly tokenizer: HfTokenizer,
    /** null: the model has none (a base model) and none was given */
    readonly template: ChatTemplate | null,
    /** why the model's own template is not the one used (the ChatML fallback), else null */
    readonly templateNote: string | null,
    eos: readonly number[],
    private readonly thinking: boolean,
  ) {
    this.eosIds = new Set(eos);
  }

  static async create(files: HfModelFiles, opts: HfGeneratorOptions = {}): Promise<HfGenerator> {
    const source = files.source ?? 'model';
    const config = parseConfig(files.config, `${source}/config.json`);
    if (config.family !== 'decoder')
      throw new ConfigError(
        `${source}/config.json`,
        `model_type "${config.modelType}" is an encoder: text generation needs a decoder (${DECODER_MODEL_TYPES.join(', ')})`,
      );
    const src = weightSource(files.weights, source);
    const model = new DecoderModel(config, src);
    model.weights.format = opts.weightFormat ?? 'auto';
    void model.head; // a missing or misshapen LM head fails now, not at the first token
    const tokenizer = await HfTokenizer.create(files.tokenizer, files.tokenizerConfig, `${source}/`);
    const tcFile = `${source}/tokenizer_config.json`;
    const tc = parseJsonObject(files.tokenizerConfig, tcFile);
    const specials: Record<string, string> = {};
    for (const k of ['bos_token', 'eos_token', 'unk_token', 'pad_token']) {
      const t = tokenizer.specialToken(k);
      if (t) specials[k] = t;
    }
    const { template, note } = pickTemplate(chatTemplateOf(tc, tcFile), opts, tcFile, specials, tokenizer);
    const eos = [...config.eosTokenIds];
    if (files.generationConfig !== undefined) {
      const f = `${source}/generation_config.json`;
      eos.push(...generationEos(parseJsonObject(files.generationConfig, f), f, config.vocabSize));
    }
    if (tokenizer.eosId !== null) eos.push(tokenizer.eosId);
    return new HfGenerator(
      opts.id ?? source,
      config,
      model,
      tokenizer,
      template,
      note,
      eos,
      opts.thinking ?? false,
    );
  }

  /** The prompt's token ids: the messages through the chat template, with the assistant turn opened. */
  prompt(messages: readonly ChatTurn[]): number[] {
    if (!this.template)
      throw new ConfigError(
        `${this.id}/tokenizer_config.json`,
        'has no "chat_template" (a base model?): use an instruct/chat model or pass a chatTemplate',
      );
    return this.tokenizer.encodeText(
      this.template.render(messages, true, { enable_thinking: this.thinking }),
    );
  }

  /** Logits [ids.length * V] of every position of one sequence, causal, no cache (parity tests). */
  async logits(backend: Backend, ids: readonly number[]): Promise<Float32Array> {
    const h = this.hidden(backend, ids, null);
    try {
      return await this.model.head.logits(backend, h);
    } finally {
      backend.dispose(h);
    }
  }

  /** hidden rows [T, H] of `ids` after the cached positions (or alone) */
  private hidden(backend: Backend, ids: readonly number[], cache: KvCache | null): Tensor {
    const ops = inferenceOps(backend, hfLinear(this.model.on(backend)));
    const input = padBatch([ids]);
    const mask = ops.input(input.mask, [1, input.seqLen]);
    try {
      return this.model.forward(ops, input, mask, 'causal', cache ?? undefined);
    } finally {
      ops.free(mask);
    }
  }

  /** the next-token logits [V] after `ids` (appended to the cache when there is one) */
  private async nextLogits(
    backend: Backend,
    ids: readonly number[],
    cache: KvCache | null,
  ): Promise<Float32Array> {
    const h = this.hidden(backend, ids, cache);
    const at = backend.tensor(Uint32Array.of(ids.length - 1), [1]);
    const last = backend.gather(h, at);
    backend.dispose(h, at);
    try {
      return await this.model.head.logits(backend, last);
    } finally {
      backend.dispose(last);
    }
  }

  /** New tokens after `prompt` (token ids), sampled with `opts` on `backend`. */
  async generate(
    backend: Backend,
    prompt: readonly number[],
    opts: GenerateIdsOptions,
  ): Promise<GenerateIdsResult> {
    checkSampling(opts, 'generate');
    if (!(Number.isInteger(opts.maxTokens) && opts.maxTokens >= 1))
      throw new RangeError(`generate: maxTokens must be an integer >= 1, got ${opts.maxTokens}`);
    if (!Number.isInteger(opts.seed))
      throw new RangeError(`generate: seed must be an integer, got ${opts.seed}`);
    const P = this.config.maxPositions;
    if (prompt.length === 0) throw new RangeError('generate: the prompt has no tokens');
    if (prompt.length >= P)
      throw new RangeError(
        `generate: the prompt's ${prompt.length} tokens leave no room in the model's ${P} positions: shorten it`,
      );
    const limit = Math.min(opts.maxTokens, P - prompt.length);
    const stops = (opts.stop ?? []).filter((s) => s.length > 0);
    const rng = new Rng(opts.seed);
    const cache = opts.noCache ? null : new KvCache(backend, this.config.layers);
    const out: number[] = [];
    const kept: Float32Array[] = [];
    let text = '';
    let reason: GenerateIdsResult['reason'] = limit < opts.maxTokens ? 'positions' : 'max-tokens';
    let tokens = 0;
    try {
      let step: readonly number[] = prompt;
      while (out.length < limit) {
        opts.signal?.throwIfAborted();
        const logits = await this.nextLogits(backend, cache ? step : [...prompt, ...out], cache);
        if (opts.keepLogits) kept.push(logits);
        const tok = sampleToken(logits, opts, rng);
        tokens++;
        if (this.eosIds.has(tok)) {
          reason = 'eos';
          break;
        }
        out.push(tok);
        opts.onToken?.(out.length, limit);
        if (stops.length) {
          text = this.tokenizer.decode(out);
          const cut = Math.min(...stops.map((s) => text.indexOf(s)).filter((i) => i >= 0));
          if (Number.isFinite(cut)) {
            text = text.slice(0, cut);
            reason = 'stop-string';
            break;
          }
        }
        step = [tok];
        // let the worker's messages (a cancel) in: CPU steps resolve without leaving the microtask queue
        await new Promise((r) => setTimeout(r, 0));
      }
    } finally {
      cache?.release();
    }
    if (reason !== 'stop-string') text = this.tokenizer.decode(out);
    return {
      ids: out,
      text,
      finish: reason === 'eos' || reason === 'stop-string' ? 'stop' : 'length',
      reason,
      tokens,
      ...(opts.keepLogits && { logits: kept }),
    };
  }

  /** Frees the weights uploaded to `backend` (or to every backend). */
  release(backend?: Backend): void {
    this.model.release(backend);
  }
}
