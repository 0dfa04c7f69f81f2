/**
 * What the Node driver (src/cli/bench-browser.ts) and the comparison page (page.ts) exchange through
 * Playwright's page.evaluate: plain JSON both ways.
 */
import type { Rate } from './measure';

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

/** what the page puts on window */
export interface WebBenchApi {
  adapter(): Promise<WebAdapter | null>;
  run(req: WebBenchRequest): Promise<WebBenchResult>;
}
