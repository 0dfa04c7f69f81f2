/**
 * onnxruntime-web sessions for the studio: environment setup (Node vs. browser), execution-provider choice
 * with fallback (webgpu -> wasm), and typed errors that name the model file.
 *
 * Offline wasm: in the browser, onnxruntime-web's default entry (ort.bundle.min.mjs, the JSEP build that has
 * both the webgpu and wasm EPs) needs one binary, ort-wasm-simd-threaded.jsep.wasm (28 MB). wasm-asset.ts
 * imports it with Vite's `?url`, so `vite build` emits it to dist/assets/ with a content hash and
 * `env.wasm.wasmPaths` points at it: the site serves it itself, no CDN, no prepare script. In Node the
 * package's node entry finds its own wasm in node_modules and wasm-asset.ts is never imported.
 */
import * as ort from 'onnxruntime-web';
import { f16ArrayToF32 } from '../hf/half';

export type OrtEp = 'webgpu' | 'wasm';

export class OrtModelError extends Error {
  constructor(
    readonly file: string,
    detail: string,
  ) {
    super(`${file}: ${detail}`);
    this.name = 'OrtModelError';
  }
}

export const isNode = typeof process !== 'undefined' && typeof process.versions?.node === 'string';

let configured: Promise<void> | null = null;

/**
 * One-time ORT environment setup. Node: wasm EP from onnxruntime-web's own dist folder, `numThreads`
 * (default 1: tests share few cores). Browser: the .wasm served by this site (see wasm-asset.ts).
 */
export function configureOrt(opts: { numThreads?: number } = {}): Promise<void> {
  configured ??= (async () => {
    ort.env.logLevel = 'error';
    if (isNode) {
      ort.env.wasm.numThreads = opts.numThreads ?? 1;
    } else {
      const { ORT_WASM_URL } = await import('./wasm-asset');
      ort.env.wasm.wasmPaths = { wasm: ORT_WASM_URL };
      if (opts.numThreads !== undefined) ort.env.wasm.numThreads = opts.numThreads;
    }
  })();
  return configured;
}

/** webgpu then wasm in a browser with navigator.gpu; wasm alone in Node or without WebGPU. */
export function defaultEps(): OrtEp[] {
  const hasGpu =
    !isNode && typeof navigator !== 'undefined' && 'gpu' in navigator && navigator.gpu !== undefined;
  return hasGpu ? ['webgpu', 'wasm'] : ['wasm'];
}

export interface Fallback<T> {
  readonly value: T;
  readonly ep: OrtEp;
  /** why earlier EPs were skipped, e.g. "webgpu: no available backend found" */
  readonly skipped: readonly string[];
}

/**
 * Tries `attempt` with each EP in order and returns the first success. An OrtModelError (a fault of the model,
 * not the EP) is rethrown at once; when every EP fails otherwise, the error lists each EP's reason.
 */
export async function withEpFallback<T>(
  eps: readonly OrtEp[],
  attempt: (ep: OrtEp) => Promise<T>,
  file: string,
): Promise<Fallback<T>> {
  if (eps.length === 0) throw new OrtModelError(file, 'no execution provider to try');
  const skipped: string[] = [];
  for (const ep of eps) {
    try {
      return { value: await attempt(ep), ep, skipped };
    } catch (e) {
      if (e instanceof OrtModelError) throw e; // the model itself is at fault: no EP will do better
      skipped.push(`${ep}: ${e instanceof Error ? e.message : String(e)}`);
    }
  }
  throw new OrtModelError(file, `cannot run this ONNX model (${skipped.join('; ')})`);
}

/** ONNX external data files: `path` as the model names it, `data` its bytes or (Node) a file path / URL */
export type OrtExternalData = { path: string; data: Uint8Array | string }[];

/** Creates a session on one EP; ORT's parse/validation errors come back naming the file. */
export async function createSession(
  bytes: Uint8Array,
  ep: OrtEp,
  externalData?: OrtExternalData,
): Promise<ort.InferenceSession> {
  const options: ort.InferenceSession.SessionOptions = {
    executionProviders: [ep],
    ...(externalData && { externalData }),
    graphOptimizationLevel: 'all',
    logSeverityLevel: 3, // errors only: the webgpu EP warns that it leaves shape ops on the CPU
  };
  return ort.InferenceSession.create(bytes, options);
}

export type IntType = 'int64' | 'int32';

/** [B,T] integer tensor in the element type the model declares */
export function intTensor(type: IntType, data: ArrayLike<number>, dims: readonly number[]): ort.Tensor {
  if (type === 'int32') return new ort.Tensor('int32', Int32Array.from(data), dims);
  const a = new BigInt64Array(data.length);
  for (let i = 0; i < data.length; i++) a[i] = BigInt(data[i]);
  return new ort.Tensor('int64', a, dims);
}

/** f32 copy-free view of an output tensor (float32), or a converted copy (float16) */
export function outputF32(t: ort.Tensor, name: string, file: string): Float32Array {
  if (t.type === 'float32') return t.data as Float32Array;
  if (t.type === 'float16') {
    const d = t.data as unknown;
    return d instanceof Uint16Array ? f16ArrayToF32(d) : Float32Array.from(d as ArrayLike<number>);
  }
  throw new OrtModelError(file, `output ${name} has type ${t.type}; expected float32 or float16`);
}

export { ort };
