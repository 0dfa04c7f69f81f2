/**
 * An Embedder over a Hugging Face model folder (config.json, tokenizer.json, tokenizer_config.json,
 * model.safetensors): BERT-family encoders (mean or CLS pooling) and decoders (last-token pooling after
 * an appended EOS, bidirectional attention by default as in the STM paper). Rows are L2-normalised.
 */
import type { Backend, Tensor } from '../../core/backend';
import { inferenceOps } from '../../nn/inference';
import type { Linear, LinearModule, Ops } from '../../nn/ops';
import { embedNative, type HostLinear, type NativeEmbedder, type NativePlan } from '../native';
import type { QueryPrompt, Role, TextTemplates } from '../types';
import { BertModel } from './bert';
import { hfLinear, padBatch, type TokenBatch } from './common';
import { parseConfig, type HfConfig } from './config';
import { DecoderModel, type DecoderAttention } from './decoder';
import { SafetensorsFile } from './safetensors';
import type { TensorSource } from './tensor-source';
import type { WeightFormatChoice } from './fit';
import { HfTokenizer } from './tokenizer';

export type HfPooling = 'mean' | 'cls' | 'last';

export const DEFAULT_INSTRUCTION = 'Given a question, retrieve passages that answer the question';
export const BERT_TEMPLATES: TextTemplates = { query: '{text}', passage: '{title}\n{text}' };

/** The STM paper's decoder formats: "{instruction}\nQuery: {q}" and "Represent this passage\npassage: {p}". */
export function decoderTemplates(instruction = DEFAULT_INSTRUCTION): TextTemplates {
  return {
    query: `${instruction}\nQuery: {text}`,
    passage: 'Represent this passage\npassage: {title}\n{text}',
  };
}

export interface HfEmbedderOptions {
  /** embedder id (default: the source name) */
  id?: string;
  /** BERT: 'mean' (default) or 'cls'; decoders: 'last' (default) or 'mean' */
  pooling?: HfPooling;
  /** decoders only: 'bidirectional' (default, STM) or 'causal' */
  attention?: DecoderAttention;
  /** decoders: the query instruction of the default query template */
  instruction?: string;
  /** overrides either template */
  templates?: Partial<TextTemplates>;
  /** token limit per text, special tokens included (default 512, capped by the model's positions) */
  maxTokens?: number;
  /** texts per forward pass (default 16) */
  batchSize?: number;
  /** decoders: the EOS id appended for last-token pooling (default: the tokenizer's eos_token, else config eos_token_id) */
  eosTokenId?: number;
  /** how linear weights are uploaded: 'auto' (default: f16 on WebGPU, f32 on the CPU), 'f32', 'f16', 'q8' */
  weightFormat?: WeightFormatChoice;
}

/** The files of a model folder, as text / bytes. */
export interface HfModelFiles {
  readonly config: string | object;
  readonly tokenizer: string | object;
  readonly tokenizerConfig: string | object;
  /** model.safetensors in memory, or a checkpoint read tensor by tensor (a file on disk, shards, Blobs) */
  readonly weights: ArrayBuffer | TensorSource;
  /** where the files came from (folder, hub id or URL), used in ids and error messages */
  readonly source?: string;
  /** generation_config.json, when the model has one and it was asked for (text generation) */
  readonly generationConfig?: string | object;
}

/** A model folder's weights as a source (an in-memory model.safetensors is opened here). */
export function weightSource(weights: ArrayBuffer | TensorSource, source: string): TensorSource {
  return weights instanceof ArrayBuffer
    ? SafetensorsFile.open(weights, `${source}/model.safetensors`)
    : weights;
}

export class HfEmbedder implements NativeEmbedder {
  readonly id: string;
  readonly dim: number;
  readonly templates: TextTemplates;
  /** decoders under their own query template: where the instruction goes and which one it is */
  readonly prompt?: QueryPrompt;
  readonly pooling: HfPooling;
  readonly attention: DecoderAttention;
  readonly maxTokens: number;
  /** texts per forward pass */
  readonly batchSize: number;
  private readonly eos: number | null;

  private constructor(
    readonly config: HfConfig,
    readonly model: BertModel | DecoderModel,
    readonly tokenizer: HfTokenizer,
    private readonly opts: HfEmbedderOptions,
    private readonly source: string,
  ) {
    const isBert = config.family === 'bert';
    this.id = opts.id ?? source;
    this.dim = model.hidden;
    this.pooling = opts.pooling ?? (isBert ? 'mean' : 'last');
    if (isBert && this.pooling === 'last')
      throw new Error(`${source}: pooling 'last' is for decoders; use 'mean' or 'cls'`);
    if (!isBert && this.pooling === 'cls')
      throw new Error(`${source}: pooling 'cls' is for encoders; use 'last' or 'mean'`);
    this.attention = opts.attention ?? 'bidirectional';
    const base = isBert ? BERT_TEMPLATES : decoderTemplates(opts.instruction);
    this.templates = { ...base, ...opts.templates };
    if (!isBert && opts.templates?.query === undefined) {
      const instruction = opts.instruction ?? DEFAULT_INSTRUCTION;
      this.prompt = { format: decoderTemplates('{instruction}').query, plain: 'Query: {text}', instruction };
    }
    const positions = isBert ? config.maxPositions - config.positionOffset : config.maxPositions;
    this.maxTokens = Math.min(opts.maxTokens ?? 512, positions);
    if (!(this.maxTokens >= 2)) throw new Error(`${source}: maxTokens must be >= 2`);
    this.batchSize = Math.max(1, opts.batchSize ?? 16);
    this.eos = isBert ? null : (opts.eosTokenId ?? tokenizer.eosId ?? config.eosTokenIds[0] ?? null);
    if (this.eos !== null && !(this.eos >= 0 && this.eos < config.vocabSize))
      throw new Error(`${source}: EOS id ${this.eos} is outside the vocabulary (${config.vocabSize})`);
  }

  /** Parses and validates all four files (nothing is uploaded until the first embed). */
  static async create(files: HfModelFiles, opts: HfEmbedderOptions = {}): Promise<HfEmbedder> {
    const source = files.source ?? 'model';
    const config = parseConfig(files.config, `${source}/config.json`);
    const src = weightSource(files.weights, source);
    const model = config.family === 'bert' ? new BertModel(config, src) : new DecoderModel(config, src);
    model.weights.format = opts.weightFormat ?? 'auto';
    const tokenizer = await HfTokenizer.create(files.tokenizer, files.tokenizerConfig);
    return new HfEmbedder(config, model, tokenizer, opts, source);
  }

  /** how linear weights are uploaded ('auto': f16 on WebGPU, f32 on the CPU) */
  get weightFormat(): WeightFormatChoice {
    return this.model.weights.format;
  }

  /**
   * The same model (same checkpoint, tokenizer and options) with its linear weights uploaded in another
   * format: a second model over the same source, nothing read until it is used (weight-check.ts compares
   * the two). Its uploads are its own (release() them).
   */
  withWeightFormat(format: WeightFormatChoice): HfEmbedder {
    const src = this.model.weights.src;
    const c = this.config;
    const model = c.family === 'bert' ? new BertModel(c, src) : new DecoderModel(c, src);
    model.weights.format = format;
    return new HfEmbedder(c, model, this.tokenizer, { ...this.opts, weightFormat: format }, this.source);
  }

  /** Token ids of each text (special tokens, EOS for decoders, truncation). */
  tokenize(texts: readonly string[]): number[][] {
    return texts.map((t) => this.tokenizer.encode(t, this.maxTokens, this.eos));
  }

  /** A right-padded batch of already-tokenised texts. */
  batch(seqs: readonly (readonly number[])[]): TokenBatch {
    const pad = this.tokenizer.padId < this.config.vocabSize ? this.tokenizer.padId : 0;
    return padBatch(seqs, pad);
  }

  /** every linear that can carry an adapter, in forward order */
  get linears(): readonly LinearModule[] {
    return this.model.linears;
  }

  weightsLinear(backend: Backend): Linear {
    return hfLinear(this.model.on(backend));
  }

  hostLinear(path: string): HostLinear {
    return this.model.hostLinear(path);
  }

  /** the model's safetensors file and the name prefix its tensors carry (exports keep the file's names) */
  get weightFile(): { src: TensorSource; prefix: string } {
    return this.model.weightFile;
  }

  /** Last hidden states [B*T, H] of a batch on the op context (the caller frees them). */
  private hidden(ops: Ops, input: TokenBatch, mask: Tensor): Tensor {
    return this.model instanceof BertModel
      ? this.model.forward(ops, input, mask)
      : this.model.forward(ops, input, mask, this.attention);
  }

  /** Last hidden states [B, T, H] on the backend (the caller disposes it). */
  forward(backend: Backend, input: TokenBatch): Tensor {
    const ops = inferenceOps(backend, this.weightsLinear(backend));
    const mask = ops.input(input.mask, [input.batch, input.seqLen]);
    try {
      return ops.reshape(this.hidden(ops, input, mask), [input.batch, input.seqLen, this.dim]);
    } finally {
      ops.free(mask);
    }
  }

  /** Texts sorted by length (similar lengths share a batch, so little is padding), batchSize per batch. */
  plan(_backend: Backend, texts: readonly string[]): NativePlan {
    const seqs = this.tokenize(texts);
    const order = seqs.map((_, i) => i).sort((a, b) => seqs[a].length - seqs[b].length);
    const groups: number[][] = [];
    for (let s = 0; s < order.length; s += this.batchSize) groups.push(order.slice(s, s + this.batchSize));
    return {
      groups,
      forward: (ops, group) => {
        const input = this.batch(group.map((i) => seqs[i]));
        const { batch: B, seqLen: T } = input;
        const mask = ops.input(input.mask, [B, T]);
        const h3 = ops.reshape(this.hidden(ops, input, mask), [B, T, this.dim]);
        const pooled =
          this.pooling === 'mean' ? ops.maskedMeanPool(h3, mask) : ops.pool(h3, mask, this.pooling);
        ops.free(h3, mask);
        const normed = ops.l2Normalize(pooled);
        ops.free(pooled);
        return normed;
      },
    };
  }

  embed(backend: Backend, texts: readonly string[], _role: Role): Promise<Float32Array> {
    return embedNative(this, backend, texts, this.weightsLinear(backend));
  }

  /** Frees the weights uploaded to `backend` (or to every backend). */
  release(backend?: Backend): void {
    this.model.release(backend);
  }
}
