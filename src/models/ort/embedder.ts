/**
 * OrtEmbedder: any ONNX feature-extraction model laid out like the Hugging Face hub's
 * (onnx/model.onnx, tokenizer.json, tokenizer_config.json, optional config.json) run by onnxruntime-web;
 * pooling ('mean' | 'cls' | 'last') and L2 normalisation run on the studio's Backend kernels.
 */
import type { Backend, Tensor } from '../../core/backend';
import type { AssetFetcher } from '../glove';
import type { Embedder, Role, TextTemplates } from '../types';
import {
  configureOrt,
  createSession,
  defaultEps,
  intTensor,
  ort,
  OrtModelError,
  outputF32,
  withEpFallback,
  type IntType,
  type OrtEp,
  type OrtExternalData,
} from './session';
import { HfTokenizer } from '../hf/tokenizer';
import { assertFiniteRows } from '../finite';
import { parseJsonFile } from './tokenizer';

export type OrtPooling = 'mean' | 'cls' | 'last';

export interface OrtEmbedderOptions {
  /** embedder id (default: dir, or "onnx") */
  id?: string;
  /** the model's folder under the fetcher's root, e.g. "tiny-bert" (default: the root itself) */
  dir?: string;
  /** the ONNX file inside the folder (default "onnx/model.onnx") */
  modelFile?: string;
  /** default: 'last' when config.json's model_type is a known decoder, else 'mean' */
  pooling?: OrtPooling;
  /** append the tokenizer's EOS when a text does not end with it (default: pooling === 'last') */
  appendEos?: boolean;
  templates?: Partial<TextTemplates>;
  /** tokens per text, special tokens included (default 512, capped by the model's positions) */
  maxTokens?: number;
  /** texts per session run (default 16) */
  batchSize?: number;
  /** EPs tried in order (default: webgpu then wasm in a browser with WebGPU, wasm otherwise) */
  executionProviders?: OrtEp[];
  /** wasm threads (Node default 1) */
  numThreads?: number;
  /** the model's external data files (a model over protobuf's 2 GiB keeps its weights beside it) */
  externalData?: OrtExternalData;
}

const DECODERS = new Set([
  'qwen2',
  'qwen3',
  'llama',
  'mistral',
  'gemma',
  'gemma2',
  'gemma3_text',
  'phi',
  'phi3',
  'gpt2',
]);
const DEFAULT_TEMPLATES: TextTemplates = { query: '{text}', passage: '{title}\n{text}' };

interface InputPlan {
  readonly intType: IntType;
  readonly mask: boolean;
  readonly tokenTypes: boolean;
  readonly positions: boolean;
}

function planInputs(session: ort.InferenceSession, file: string): InputPlan {
  const names = session.inputNames;
  if (!names.includes('input_ids'))
    throw new OrtModelError(file, `no input_ids input (inputs: ${names.join(', ')})`);
  const known = new Set(['input_ids', 'attention_mask', 'token_type_ids', 'position_ids']);
  const other = names.filter((n) => !known.has(n));
  if (other.length) {
    throw new OrtModelError(
      file,
      `unsupported inputs ${other.join(', ')}: export a feature-extraction model (no KV cache)`,
    );
  }
  const meta = session.inputMetadata.find((m) => m.name === 'input_ids');
  const intType: IntType = meta?.isTensor && meta.type === 'int32' ? 'int32' : 'int64';
  return {
    intType,
    mask: names.includes('attention_mask'),
    tokenTypes: names.includes('token_type_ids'),
    positions: names.includes('position_ids'),
  };
}

interface RunCtx {
  readonly session: ort.InferenceSession;
  readonly inputs: InputPlan;
  readonly outputName: string;
  readonly padId: number;
  readonly file: string;
}

interface Hidden {
  /** [B*T*D] */
  readonly data: Float32Array;
  /** [B*T], 1 on real tokens */
  readonly mask: Float32Array;
  readonly dims: readonly [number, number, number];
}

/** one session run over right-padded id rows; returns the 3-D output checked against B and T */
async function runRows(ctx: RunCtx, rows: readonly number[][]): Promise<Hidden> {
  const B = rows.length;
  const T = Math.max(1, ...rows.map((r) => r.length));
  const ids = new Array<number>(B * T).fill(ctx.padId);
  const mask = new Float32Array(B * T);
  rows.forEach((r, b) => r.forEach((id, t) => ((ids[b * T + t] = id), (mask[b * T + t] = 1))));
  const { intType } = ctx.inputs;
  const feeds: Record<string, ort.Tensor> = { input_ids: intTensor(intType, ids, [B, T]) };
  if (ctx.inputs.mask) feeds.attention_mask = intTensor(intType, mask, [B, T]);
  if (ctx.inputs.tokenTypes)
    feeds.token_type_ids = intTensor(intType, new Array<number>(B * T).fill(0), [B, T]);
  if (ctx.inputs.positions)
    feeds.position_ids = intTensor(
      intType,
      Array.from({ length: B * T }, (_, i) => i % T),
      [B, T],
    );
  const out = (await ctx.session.run(feeds, [ctx.outputName]))[ctx.outputName];
  if (out.dims.length !== 3 || out.dims[0] !== B || out.dims[1] !== T) {
    throw new OrtModelError(
      ctx.file,
      `output ${ctx.outputName} has dims [${out.dims.join(',')}], expected [${B},${T},hidden]`,
    );
  }
  return { data: outputF32(out, ctx.outputName, ctx.file), mask, dims: [B, T, out.dims[2]] };
}

export class OrtEmbedder implements Embedder {
  readonly templates: TextTemplates;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    readonly id: string,
    readonly dim: number,
    /** the execution provider the session runs on */
    readonly ep: OrtEp,
    /** EPs tried first that failed, with the reason ("webgpu: ...") */
    readonly skippedEps: readonly string[],
    readonly pooling: OrtPooling,
    readonly tokenizer: HfTokenizer,
    private readonly ctx: RunCtx,
    private readonly opts: { maxTokens: number; batchSize: number; eos: number | null },
    templates: Partial<TextTemplates> = {},
  ) {
    this.templates = { ...DEFAULT_TEMPLATES, ...templates };
  }

  /** the output read: last_hidden_state or the first 3-D output */
  get outputName(): string {
    return this.ctx.outputName;
  }

  /** token ids of one text as the embedder feeds them (special tokens, EOS when pooling 'last', truncation) */
  encode(text: string): number[] {
    return this.tokenizer.encode(text, this.opts.maxTokens, this.opts.eos);
  }

  /** hidden states [B*T*dim] of right-padded id rows; runs are serialised on the session */
  async hidden(rows: readonly number[][]): Promise<Hidden> {
    const run = this.queue.then(() => runRows(this.ctx, rows));
    this.queue = run.catch(() => undefined);
    const h = await run;
    if (h.dims[2] !== this.dim)
      throw new OrtModelError(this.ctx.file, `output width ${h.dims[2]}, expected ${this.dim}`);
    return h;
  }

  async embed(backend: Backend, texts: readonly string[], _role: Role): Promise<Float32Array> {
    const out = new Float32Array(texts.length * this.dim);
    for (let start = 0; start < texts.length; start += this.opts.batchSize) {
      const { data, mask, dims } = await this.hidden(
        texts.slice(start, start + this.opts.batchSize).map((t) => this.encode(t)),
      );
      const [B, T] = dims;
      const owned: Tensor[] = [];
      const keep = (t: Tensor) => (owned.push(t), t);
      try {
        const x = keep(backend.tensor(data, [B, T, this.dim]));
        const m = keep(backend.tensor(mask, [B, T]));
        const pooled = keep(
          this.pooling === 'mean' ? backend.maskedMeanPool(x, m) : backend.pool(x, m, this.pooling),
        );
        out.set(await backend.readF32(keep(backend.l2Normalize(pooled))), start * this.dim);
      } finally {
        backend.dispose(...owned);
      }
    }
    return assertFiniteRows(this.id, out, this.dim);
  }

  /** releases the ORT session */
  async dispose(): Promise<void> {
    await this.queue;
    await this.ctx.session.release();
  }
}

async function fetchFile(fetchAsset: AssetFetcher, file: string): Promise<ArrayBuffer> {
  try {
    return await fetchAsset(file);
  } catch (e) {
    throw new OrtModelError(file, `cannot read (${e instanceof Error ? e.message : String(e)})`);
  }
}

/** Loads an ONNX feature-extraction model folder through `fetchAsset` (paths relative to its root). */
export async function loadOrtEmbedder(
  fetchAsset: AssetFetcher,
  opts: OrtEmbedderOptions = {},
): Promise<OrtEmbedder> {
  const prefix = opts.dir ? opts.dir.replace(/\/?$/, '/') : '';
  const file = `${prefix}${opts.modelFile ?? 'onnx/model.onnx'}`;
  const [modelBuf, tjBuf, tcBuf] = await Promise.all(
    [file, `${prefix}tokenizer.json`, `${prefix}tokenizer_config.json`].map((f) => fetchFile(fetchAsset, f)),
  );
  const config = await fetchAsset(`${prefix}config.json`).then(
    (b) => parseJsonFile(b, `${prefix}config.json`),
    () => null, // optional
  );
  const tokenizer = await HfTokenizer.create(
    parseJsonFile(tjBuf, `${prefix}tokenizer.json`),
    parseJsonFile(tcBuf, `${prefix}tokenizer_config.json`),
    prefix,
  );
  const pooling = opts.pooling ?? (DECODERS.has(String(config?.model_type)) ? 'last' : 'mean');
  const appendEos = opts.appendEos ?? pooling === 'last';
  if (appendEos && tokenizer.eosId === null)
    throw new OrtModelError(`${prefix}tokenizer_config.json`, 'no eos_token to append');
  const positions =
    typeof config?.max_position_embeddings === 'number' ? config.max_position_embeddings : Infinity;
  const maxTokens = Math.min(opts.maxTokens ?? 512, positions);
  const bytes = new Uint8Array(modelBuf);
  if (bytes.length === 0) throw new OrtModelError(file, 'empty file');

  await configureOrt({ numThreads: opts.numThreads });
  const eos = appendEos ? tokenizer.eosId : null;
  const { value, ep, skipped } = await withEpFallback(
    opts.executionProviders ?? defaultEps(),
    async (ep) => {
      const session = await createSession(bytes, ep, opts.externalData);
      try {
        const inputs = planInputs(session, file);
        const outputName = session.outputNames.includes('last_hidden_state')
          ? 'last_hidden_state'
          : session.outputMetadata.find((m) => m.isTensor && m.shape.length === 3)?.name;
        if (!outputName)
          throw new OrtModelError(
            file,
            `no last_hidden_state or 3-D output (outputs: ${session.outputNames.join(', ')})`,
          );
        const ctx: RunCtx = { session, inputs, outputName, padId: tokenizer.padId, file };
        // probe run: finds the width and checks that this EP runs the whole graph
        const probe = await runRows(ctx, [tokenizer.encode('hello', maxTokens, eos)]);
        return { ctx, dim: probe.dims[2] };
      } catch (e) {
        await session.release();
        throw e;
      }
    },
    file,
  );
  const id = opts.id ?? (opts.dir || 'onnx');
  const run = { maxTokens, batchSize: opts.batchSize ?? 16, eos };
  return new OrtEmbedder(id, value.dim, ep, skipped, pooling, tokenizer, value.ctx, run, opts.templates);
}
