/**
 * What the Node driver (src/cli/bench-browser.ts) and the comparison page (page.ts) exchange through
 * Playwright's page.evaluate: plain JSON both ways. The driver runs each engine in a page of its own
 * (runEngine: ORT first, then the studio on ORT's text order and token counts) and joins the two runs
 * (joinRuns), so the second engine never shares a renderer with the first one's memory.
 */
import { agreement, type Rate } from './measure';

export type WebEngine = 'ort' | 'studio';

/** the page's WebGPU adapter, as the page sees it */
export interface WebAdapter {
  /** vendor / architecture / description, e.g. "google swiftshader" */
  readonly label: string;
  /** the software renderer's name (SwiftShader, llvmpipe, …) when the adapter is one, else null */
  readonly software: string | null;
  readonly shaderF16: boolean;
}

export interface WebBenchRequest {
  /** the model folder (Hugging Face layout, ONNX export under onnx/) as a URL path on the page's server */
  readonly model: string;
  /** ONNX external data: the name model.onnx uses and the URL path of the file */
  readonly externalData: readonly { path: string; url: string }[];
  /** texts embedded one at a time */
  readonly b1: readonly string[];
  /** texts embedded in one call, 32 per batch (sorted by token count in the page, as the Node bench does) */
  readonly b32: readonly string[];
  readonly maxTokens: number;
  /** the studio's weight format (default: the studio's default, 'auto') */
  readonly weightFormat?: 'auto' | 'f32' | 'f16' | 'q8';
  /**
   * Token counts of the texts (b1, b32 in their order): when given, b32 is taken in the order it has (a
   * previous engine's, already sorted by length) and these counts are the ones reported; when absent, the
   * engine counts with its own tokenizer and sorts b32 by length.
   */
  readonly tokens?: { readonly b1: readonly number[]; readonly b32: readonly number[] };
}

export interface WebEngineResult {
  /** e.g. "ORT webgpu EP" or "studio webgpu (google swiftshader, f16 weights)" */
  readonly label: string;
  readonly b1: Rate | null;
  readonly b32: Rate | null;
  /** load time (session / weights upload), seconds */
  readonly loadS: number;
}

export interface WebBenchResult {
  readonly adapter: WebAdapter;
  readonly ort: WebEngineResult;
  readonly studio: WebEngineResult;
  readonly dim: number;
  /** texts compared (the batch-32 texts, else the batch-1 texts) */
  readonly compared: number;
  readonly maxDiff: number;
  readonly minCos: number;
  /** tokens per text, averaged, as the ORT tokenizer counts them */
  readonly avgTokensB1: number;
  readonly avgTokensB32: number;
}

/** one engine's run in one page */
export interface WebEngineRun {
  readonly adapter: WebAdapter;
  readonly result: WebEngineResult;
  /** the compared embeddings (the batch-32 texts', else the batch-1 texts'), `dim` values per text */
  readonly emb: number[];
  readonly dim: number;
  /** the batch-32 texts in the order they were embedded, and the token counts (b1, b32 in that order) */
  readonly b32: string[];
  readonly tokens: { readonly b1: number[]; readonly b32: number[] };
}

/** what the page puts on window */
export interface WebBenchApi {
  adapter(): Promise<WebAdapter | null>;
  runEngine(req: WebBenchRequest, engine: WebEngine): Promise<WebEngineRun>;
}

const mean = (xs: readonly number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : 0);

/** The comparison of two runs on the same texts in the same order (ORT's, then the studio's). */
export function joinRuns(ort: WebEngineRun, studio: WebEngineRun): WebBenchResult {
  if (ort.dim !== studio.dim || ort.emb.length !== studio.emb.length)
    throw new Error(
      `the engines' embeddings differ in shape: ORT ${ort.emb.length / ort.dim} x ${ort.dim}, studio ${studio.emb.length / studio.dim} x ${studio.dim}`,
    );
  const a = agreement(Float32Array.from(studio.emb), Float32Array.from(ort.emb), studio.dim);
  return {
    adapter: studio.adapter,
    ort: ort.result,
    studio: studio.result,
    dim: studio.dim,
    compared: studio.emb.length / studio.dim,
    ...a,
    avgTokensB1: mean(ort.tokens.b1),
    avgTokensB32: mean(ort.tokens.b32),
  };
}
