/**
 * describeEmbedder: the architecture of a loaded embedder as the Models panel shows it, read from what
 * each embedder class exposes (config, weights, tokenizer). Fields a model does not have are null.
 */
import { GloveEmbedder } from './glove';
import { HfEmbedder } from './hf/embedder';
import { OrtEmbedder } from './ort/embedder';
import type { Embedder, TextTemplates } from './types';
import { UseLiteEmbedder } from './use-lite/model';

export interface ModelDetails {
  readonly id: string;
  readonly kind: 'static' | 'transformer' | 'onnx';
  /** 'bert' | 'decoder' | 'use-lite' | 'static' | 'onnx' */
  readonly family: string;
  /** config.json's model_type, or the built-in's architecture name */
  readonly modelType: string | null;
  readonly dim: number;
  readonly layers: number | null;
  readonly hidden: number | null;
  readonly heads: number | null;
  readonly kvHeads: number | null;
  readonly intermediate: number | null;
  readonly vocab: number | null;
  /** tokens per text the embedder keeps */
  readonly maxTokens: number | null;
  readonly parameters: number | null;
  readonly pooling: string;
  /** 'bidirectional' | 'causal', null for static vectors */
  readonly attention: string | null;
  /** the studio's own kernels, or onnxruntime-web with its execution provider */
  readonly engine: 'studio' | 'onnxruntime-web';
  readonly ep: string | null;
  readonly templates: TextTemplates;
}

/** Fields of a config.json an ONNX export may carry (it is optional there). */
export type ConfigHint = Readonly<Record<string, unknown>> | null;

const int = (v: unknown): number | null =>
  typeof v === 'number' && Number.isInteger(v) && v >= 0 ? v : null;
const sum = (arrays: readonly (ArrayLike<number> | null | undefined)[]) =>
  arrays.reduce((n, a) => n + (a?.length ?? 0), 0);

function describeUseLite(e: UseLiteEmbedder) {
  const w = e.weights;
  const last = w.layers[w.layers.length - 1];
  const arrays: (ArrayLike<number> | undefined)[] = [w.embeddings, w.tanhW, w.tanhB];
  for (const L of w.layers) {
    arrays.push(
      L.ln1.gamma,
      L.ln1.beta,
      L.wq,
      L.wk,
      L.wv,
      L.bq,
      L.bk,
      L.bv,
      L.wo,
      L.bo,
      L.residual?.w,
      L.residual?.b,
      L.ln2.gamma,
      L.ln2.beta,
      L.w1,
      L.b1,
      L.w2,
      L.b2,
    );
  }
  return {
    kind: 'transformer' as const,
    family: 'use-lite',
    modelType: 'KonaTransformer (TF.js graph)',
    layers: w.layers.length,
    hidden: last?.dModel ?? null,
    heads: last?.heads ?? null,
    kvHeads: last?.heads ?? null,
    intermediate: last?.dFf ?? null,
    vocab: e.tokenizer.vocabSize,
    maxTokens: w.maxLength,
    parameters: sum(arrays),
    pooling: 'mean, then tanh dense',
    attention: 'bidirectional',
    engine: 'studio' as const,
    ep: null,
  };
}

function describeHf(e: HfEmbedder) {
  const c = e.config;
  const decoder = c.family === 'decoder';
  return {
    kind: 'transformer' as const,
    family: c.family,
    modelType: c.modelType,
    layers: c.layers,
    hidden: c.hidden,
    heads: c.heads,
    kvHeads: decoder ? c.kvHeads : c.heads,
    intermediate: c.intermediate,
    vocab: c.vocabSize,
    maxTokens: e.maxTokens,
    parameters: e.model.parameterCount,
    pooling: e.pooling,
    attention: decoder ? e.attention : 'bidirectional',
    engine: 'studio' as const,
    ep: null,
  };
}

function describeOrt(e: OrtEmbedder, config: ConfigHint) {
  const c = config ?? {};
  const heads = int(c.num_attention_heads);
  const type = typeof c.model_type === 'string' ? c.model_type : null;
  return {
    kind: 'onnx' as const,
    family: e.pooling === 'last' ? 'decoder' : 'onnx',
    modelType: type,
    layers: int(c.num_hidden_layers),
    hidden: int(c.hidden_size) ?? e.dim,
    heads,
    kvHeads: int(c.num_key_value_heads) ?? heads,
    intermediate: int(c.intermediate_size),
    vocab: int(c.vocab_size),
    maxTokens: int(c.max_position_embeddings),
    parameters: null,
    pooling: e.pooling,
    // decoder exports run the graph as exported; the mask in the graph decides
    attention: e.pooling === 'last' ? 'as exported' : 'bidirectional',
    engine: 'onnxruntime-web' as const,
    ep: e.ep,
  };
}

function describeGlove(e: GloveEmbedder) {
  const m = e.manifest;
  return {
    kind: 'static' as const,
    family: 'static',
    modelType: 'GloVe word vectors',
    layers: 0,
    hidden: m.dim,
    heads: null,
    kvHeads: null,
    intermediate: null,
    vocab: m.vocabSize,
    maxTokens: e.tokenizer.maxTokens,
    parameters: m.vocabSize * m.dim,
    pooling: 'SIF-weighted mean',
    attention: null,
    engine: 'studio' as const,
    ep: null,
  };
}

/**
 * Describes an embedder. A wrapper (e.g. one with overridden templates) passes the loaded model as
 * `inner`; `config` is an ONNX export's config.json when it has one.
 */
export function describeEmbedder(
  e: Embedder,
  opts: { inner?: Embedder; config?: ConfigHint } = {},
): ModelDetails {
  const m = opts.inner ?? e;
  let arch: Omit<ModelDetails, 'id' | 'dim' | 'templates'>;
  if (m instanceof HfEmbedder) arch = describeHf(m);
  else if (m instanceof UseLiteEmbedder) arch = describeUseLite(m);
  else if (m instanceof OrtEmbedder) arch = describeOrt(m, opts.config ?? null);
  else if (m instanceof GloveEmbedder) arch = describeGlove(m);
  else throw new Error(`describeEmbedder: ${m.id} is not a known embedder class`);
  return {
    id: e.id,
    dim: e.dim,
    templates: { query: e.templates.query, passage: e.templates.passage },
    ...arch,
  };
}
