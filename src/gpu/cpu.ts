/** The CPU Backend: the ops of the table (src/kernels/ops.ts) on their CPU side — the kernels' CPU
 * references, or the WASM SIMD gemm fast paths (cpu-simd/ops.ts) where the runtime has them. */
import { DeviceLostError, TensorTooLargeError, type Backend, type DType, type Tensor } from '../core/backend';
import { buildCpuOps, type CpuOpContext, type KernelOps } from '../core/op';
import { checkNewShape } from '../kernels/shape';
import { f16BitsToF32, toF16Bits } from '../kernels/f16';
import { dequantQ8, quantizeQ8 } from '../kernels/q8';
import { OPS } from '../kernels/ops';
import { WasmGemm } from './cpu-simd/gemm';
import { gemmOps } from './cpu-simd/ops';

/** 2^28 f32 = 1 GiB: the largest single array the CPU path agrees to hold. */
export const CPU_MAX_TENSOR_ELEMENTS = 2 ** 28;

/** Reshaped views share `store`; disposing any of them frees it. */
class CpuTensor implements Tensor {
  constructor(
    readonly owner: CpuBackend,
    readonly shape: readonly number[],
    readonly data: Float32Array | Uint32Array,
    readonly store: { freed: boolean } = { freed: false },
    /** f16 weights: data holds the f16-rounded values as f32 */
    readonly half = false,
    /** q8 weights: data holds the dequantised values as f32 (kernels/q8.ts) */
    readonly q8 = false,
  ) {}
  get disposed(): boolean {
    return this.store.freed;
  }
  get dtype(): DType {
    if (this.half) return 'f16';
    if (this.q8) return 'q8';
    return this.data instanceof Uint32Array ? 'u32' : 'f32';
  }
  get size(): number {
    return this.data.length;
  }
}

/** Tensor storage and the context the table's CPU implementations run in; the ops are added by createCpuBackend. */
class CpuBackend implements Omit<Backend, keyof KernelOps>, CpuOpContext {
  readonly kind = 'cpu' as const;
  readonly label: string;
  private destroyed = false;
  /** WebAssembly SIMD gemm for the fast paths when the runtime has it; else the JS references */
  readonly gemm: WasmGemm | null;

  constructor(
    readonly maxTensorElements: number,
    simd: boolean,
    threads?: number,
  ) {
    this.gemm = simd ? WasmGemm.create({ threads }) : null;
    this.label = this.gemm ? `CPU (JS + WASM SIMD, ${threadsLabel(this.gemm.threads)})` : 'CPU (JS)';
  }

  private own(t: Tensor, op: string): CpuTensor {
    if (this.destroyed) throw new DeviceLostError('destroyed', 'destroy() was called on this backend');
    if (!(t instanceof CpuTensor) || t.owner !== this)
      throw new Error(`${op}: tensor belongs to another backend`);
    if (t.disposed) throw new Error(`${op}: tensor [${t.shape.join(',')}] was disposed`);
    return t;
  }

  f32(t: Tensor, op: string): Float32Array {
    return this.own(t, op).data as Float32Array;
  }

  data(t: Tensor, op: string): Float32Array | Uint32Array {
    return this.own(t, op).data;
  }

  written(data: Float32Array): void {
    this.gemm?.forget(data);
  }

  make(op: string, data: Float32Array | Uint32Array, shape: readonly number[]): Tensor {
    if (this.destroyed) throw new DeviceLostError('destroyed', 'destroy() was called on this backend');
    if (data.length > this.maxTensorElements)
      throw new TensorTooLargeError(op, data.length, this.maxTensorElements);
    return new CpuTensor(this, [...shape], data);
  }

  tensor(data: Float32Array | Uint32Array, shape: readonly number[]): Tensor {
    checkNewShape(shape, data.length);
    return this.make('tensor', data.slice(), shape);
  }

  tensorF16(data: Float32Array, shape: readonly number[]): Tensor {
    checkNewShape(shape, data.length);
    const t = this.own(
      this.make('tensorF16', Float32Array.from(toF16Bits(data), f16BitsToF32), shape),
      'tensorF16',
    );
    return new CpuTensor(this, t.shape, t.data, t.store, true);
  }

  tensorQ8(data: Float32Array, shape: readonly number[]): Tensor {
    checkNewShape(shape, data.length);
    if (shape.length !== 2)
      throw new Error(`tensorQ8: a matrix [rows, cols] is needed, got [${shape.join(', ')}]`);
    const deq = dequantQ8(quantizeQ8(data, shape[0], shape[1]), shape[1]);
    const t = this.own(this.make('tensorQ8', deq, shape), 'tensorQ8');
    return new CpuTensor(this, t.shape, t.data, t.store, false, true);
  }

  async read(t: Tensor): Promise<Float32Array | Uint32Array> {
    return this.own(t, 'read').data.slice();
  }

  async readF32(t: Tensor): Promise<Float32Array> {
    if (t.dtype !== 'f32') throw new Error(`readF32: tensor is ${t.dtype}`);
    return (await this.read(t)) as Float32Array;
  }

  dispose(...ts: Tensor[]): void {
    for (const t of ts) {
      if (!(t instanceof CpuTensor) || t.owner !== this)
        throw new Error('dispose: tensor belongs to another backend');
      if (!t.store.freed && t.data instanceof Float32Array) {
        this.gemm?.forget(t.data);
        this.gemm?.pool.give(t.data);
      }
      t.store.freed = true;
    }
  }

  reshape(t: Tensor, shape: readonly number[]): Tensor {
    const c = this.own(t, 'reshape');
    checkNewShape(shape, c.size);
    return new CpuTensor(this, [...shape], c.data, c.store, c.half, c.q8);
  }

  /** Frees the tensors' gemm panels and stops the gemm's helper threads (when no other backend uses them). */
  destroy(): void {
    this.destroyed = true;
    this.gemm?.release();
  }

  checkOut(op: string, elements: number): void {
    if (elements > this.maxTensorElements)
      throw new TensorTooLargeError(op, elements, this.maxTensorElements);
  }
}

/** "2 threads", or "1 thread: page not cross-origin isolated" when helpers cannot run */
function threadsLabel(t: { count: number; note: string | null }): string {
  return t.count === 1 ? `1 thread${t.note ? `: ${t.note}` : ''}` : `${t.count} threads`;
}

/**
 * The CPU backend; `maxTensorElements` may be lowered (tests use it to exercise chunking limits).
 * `simd: false` keeps every op on the plain-TypeScript references (no WebAssembly): the reference the
 * benchmarks time the CPU path against.
 * `threads`: threads for the gemm and attention (default: STM_CPU_THREADS in Node, else the core count,
 * at most 8); one where SharedArrayBuffer is unavailable (the label says why).
 */
export function createCpuBackend(
  opts: { maxTensorElements?: number; simd?: boolean; threads?: number } = {},
): Backend {
  const be = new CpuBackend(
    Math.min(CPU_MAX_TENSOR_ELEMENTS, opts.maxTensorElements ?? Infinity),
    opts.simd ?? true,
    opts.threads,
  );
  return Object.assign(be, buildCpuOps(OPS, be), be.gemm ? gemmOps(be.gemm, be) : {});
}
