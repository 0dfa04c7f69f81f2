import type { Backend } from '../core/backend';

export type Role = 'query' | 'passage';

/** How a record becomes the text a model sees. Placeholders: {text} and, for passages, {title}. */
export interface TextTemplates {
  readonly query: string;
  readonly passage: string;
}

/**
 * How a model's inputs are formatted. Placeholders: {text}, {title} (passages), and {instruction}
 * where `instruction` is not null (decoders, whose query format carries a task instruction).
 */
export interface ModelTemplates {
  query: string;
  passage: string;
  instruction: string | null;
}

/**
 * Where a retrieval instruction goes in a model's query template (src/prompts/template.ts): `format` has
 * {instruction} and {text}; `plain` is the query template with no instruction; `instruction` is the one
 * `templates.query` is filled with now (null: none, i.e. templates.query === plain).
 */
export interface QueryPrompt {
  readonly format: string;
  readonly plain: string;
  readonly instruction: string | null;
}

/** A text embedder running on a compute backend. Output rows are L2-normalised. */
export interface Embedder {
  readonly id: string;
  readonly dim: number;
  readonly templates: TextTemplates;
  /** the query instruction's place and value; absent: derived from templates.query (src/prompts/template.ts) */
  readonly prompt?: QueryPrompt;
  /**
   * For a trained model (an expert): the fingerprints (src/data/fingerprint.ts) of the queries it was
   * trained on; null when it was trained but did not record them (unknown); absent for a model the
   * studio did not train. Every evaluation counts the evaluated queries among them.
   */
  readonly trainedQueries?: ReadonlySet<string> | null;
  /**
   * An embedding-space adapter: its vectors are a function of its base model's vectors of the same texts,
   * so a corpus can be embedded (and cached) by `base` and projected (src/eval/dense.ts). Absent: no such base.
   */
  readonly overBase?: OverBase;
  /** embeds texts (already templated); returns [texts.length * dim] row-major, L2-normalised */
  embed(backend: Backend, texts: readonly string[], role: Role): Promise<Float32Array>;
}

export interface OverBase {
  readonly base: Embedder;
  /** the adapter's rows for `rows.length / base.dim` base rows */
  project(backend: Backend, rows: Float32Array): Promise<Float32Array>;
}

export interface ModelInfo {
  readonly id: string;
  readonly name: string;
  /** static word vectors, a transformer on the studio kernels, or an ONNX graph run by onnxruntime-web */
  readonly kind: 'static' | 'transformer' | 'onnx';
  readonly dim: number;
  readonly description: string;
}

/**
 * `e` putting texts in other templates (and, when given, knowing where its query instruction goes): the
 * same id, dimension, training record and vectors for the same templated text.
 */
export function retemplated(e: Embedder, templates: TextTemplates, prompt?: QueryPrompt): Embedder {
  return {
    id: e.id,
    dim: e.dim,
    templates,
    ...(prompt ? { prompt } : {}),
    ...(e.trainedQueries !== undefined ? { trainedQueries: e.trainedQueries } : {}),
    ...(e.overBase ? { overBase: e.overBase } : {}),
    embed: (b, texts, role) => e.embed(b, texts, role),
  };
}

/** Fills a template; a passage with an empty title drops the title line. */
export function applyTemplate(template: string, fields: { text: string; title?: string }): string {
  const title = fields.title?.trim() ?? '';
  const t = title ? template : template.replace(/\{title\}\s*/g, '');
  return t
    .replace(/\{title\}/g, title)
    .replace(/\{text\}/g, fields.text)
    .trim();
}
