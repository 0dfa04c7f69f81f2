/**
 * The kernel interface every compute backend implements (WebGPU via WGSL, or the CPU reference path).
 * Tensors are opaque handles owned by one backend; data crosses to JS only through `read`.
 * All tensors are dense, row-major. Shapes are checked by each op and a wrong shape throws a ShapeError.
 */
import type { AnalysisOps } from './analysis-ops';
import type { MergeOps } from './merge-ops';
import type { TrainingOps } from './training-ops';
import type { TransformerOps } from './transformer-ops';
import type { BackendKind, Metric, Tensor, TopK } from './tensor';

export type { BackendKind, DType, Metric, Tensor, TopK } from './tensor';

export interface EmbeddingOps {
  /** a [M,K] x b [K,N] -> [M,N]; with transposeB, b is [N,K]. */
  matmul(a: Tensor, b: Tensor, opts?: { transposeB?: boolean }): Tensor;
  /** each row of x [N,D] divided by max(||row||2, 1e-12) */
  l2Normalize(x: Tensor): Tensor;
  /** x [B,T,D], mask [B,T] (f32 weights, usually 0/1) -> [B,D] = sum_t mask*x / max(sum_t mask, 1e-9) */
  maskedMeanPool(x: Tensor, mask: Tensor): Tensor;
  /** table [V,D] f32, ids [N] u32 -> [N,D]; an id >= V throws (CPU) or yields zeros (GPU, checked on CPU side before dispatch) */
  gather(table: Tensor, ids: Tensor): Tensor;
  /** gather then maskedMeanPool in one op: table [V,D], ids [B*T] u32, mask [B,T] -> [B,D] (no [B,T,D] rows kept) */
  gatherMeanPool(table: Tensor, ids: Tensor, mask: Tensor): Tensor;
  /** q [Q,D], d [N,D] -> [Q,N] similarity; cosine normalises both sides */
  scores(q: Tensor, d: Tensor, metric: Metric): Tensor;
  /** top-k of each row of scores [R,N]; k <= 1024 */
  topK(scores: Tensor, k: number): Promise<TopK>;
}

export interface Backend extends EmbeddingOps, TransformerOps, TrainingOps, MergeOps, AnalysisOps {
  readonly kind: BackendKind;
  /** human-readable device description, e.g. "SwiftShader Device (Subzero)" or "CPU (JS)" */
  readonly label: string;
  /** largest number of f32 elements one tensor may hold on this backend (max storage binding / 4) */
  readonly maxTensorElements: number;

  tensor(data: Float32Array | Uint32Array, shape: readonly number[]): Tensor;
  /** A weight matrix stored as f16 (each value rounded to nearest, ties to even; WebGPU keeps two halves per
   * u32, CPU the rounded values as f32), usable as linear's w in both layouts. Throws a RangeError for a
   * value that is not finite as a half (NaN, ±Inf, |v| >= 65520). */
  tensorF16(data: Float32Array, shape: readonly number[]): Tensor;
  /** A weight matrix [rows, cols] quantised to int8 per row (kernels/q8.ts: symmetric, scale max|row|/127;
   * WebGPU keeps four values per u32 plus the f32 scales, CPU the dequantised values as f32), usable as
   * linear's w (and linearBackward's, for dx). Throws a RangeError for a non-finite value. */
  tensorQ8(data: Float32Array, shape: readonly number[]): Tensor;
  read(t: Tensor): Promise<Float32Array | Uint32Array>;
  readF32(t: Tensor): Promise<Float32Array>;
  dispose(...ts: Tensor[]): void;
  /** a view of t with another shape of the same size, sharing storage (disposing either frees it) */
  reshape(t: Tensor, shape: readonly number[]): Tensor;

  /** release every resource; the backend is unusable afterwards */
  destroy(): void;
}

export class ShapeError extends Error {
  constructor(op: string, detail: string) {
    super(`${op}: ${detail}`);
    this.name = 'ShapeError';
  }
}

/** Thrown when the GPU device is lost; `reason` is the browser's GPUDeviceLostReason text. */
export class DeviceLostError extends Error {
  constructor(
    readonly reason: string,
    message: string,
  ) {
    super(`WebGPU device lost (${reason}): ${message}`);
    this.name = 'DeviceLostError';
  }
}

export class WebGPUUnavailableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'WebGPUUnavailableError';
  }
}

/** A tensor (input or result) would exceed the backend's maxTensorElements. */
export class TensorTooLargeError extends Error {
  constructor(
    readonly op: string,
    readonly elements: number,
    readonly maxElements: number,
  ) {
    super(
      `${op}: a tensor of ${elements} elements exceeds this device's limit of ${maxElements} elements ` +
        `(${maxElements * 4} bytes per storage binding); split the work into smaller chunks`,
    );
    this.name = 'TensorTooLargeError';
  }
}

/** A WebGPU validation or out-of-memory error raised while running an op, surfaced at the next read. */
export class GpuExecutionError extends Error {
  constructor(
    readonly kind: 'validation' | 'out-of-memory' | 'internal',
    message: string,
  ) {
    super(`WebGPU ${kind} error: ${message}`);
    this.name = 'GpuExecutionError';
  }
}
