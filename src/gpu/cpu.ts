/** The CPU Backend: the kernels' CPU references behind the same interface as WebGPU. */
import {
  DeviceLostError,
  TensorTooLargeError,
  type Backend,
  type DType,
  type Metric,
  type Tensor,
  type TopK,
} from '../core/backend';
import { gatherCpu, gatherShape } from '../kernels/gather';
import { l2NormalizeCpu, l2normShape } from '../kernels/l2norm';
import { matmulCpu, matmulShape } from '../kernels/matmul';
import { maskedMeanPoolCpu, meanpoolShape } from '../kernels/meanpool';
import { scoresCpu, scoresShape } from '../kernels/scores';
import { checkNewShape } from '../kernels/shape';
import { topKCpu, topKShape } from '../kernels/topk';
import { activationCpu, activationShape, swigluCpu, swigluShape } from '../kernels/activation';
import { attentionCpu, attentionShape } from '../kernels/attention';
import { addCpu, addShape, mulCpu, mulShape, scaleCpu, scaleShape } from '../kernels/elementwise';
import { layerNormCpu, layerNormShape, rmsNormCpu, rmsNormShape } from '../kernels/layernorm';
import { linearCpu, linearShape } from '../kernels/linear';
import { f16BitsToF32, toF16Bits } from '../kernels/f16';
import { addSinusoidCpu, addTableCpu, positionalShape, sinusoid } from '../kernels/positional';
import { poolCpu, poolShape, type PoolMode } from '../kernels/pool';
import { ropeCpu, ropeShape, type RopeOpts } from '../kernels/rope';
import { softmaxCpu, softmaxShape } from '../kernels/softmax';
import type { Activation, Positional } from '../core/transformer-ops';
import { WasmGemm } from './cpu-simd/gemm';
import { attentionGemm } from './cpu-simd/attention';
import { CpuTrainingOps } from './cpu-training';

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
  ) {}
  get disposed(): boolean {
    return this.store.freed;
  }
  get dtype(): DType {
    if (this.half) return 'f16';
    return this.data instanceof Uint32Array ? 'u32' : 'f32';
  }
  get size(): number {
    return this.data.length;
  }
}

class CpuBackend extends CpuTrainingOps implements Backend {
  readonly kind = 'cpu' as const;
  readonly label: string;
  private destroyed = false;
  /** WebAssembly SIMD matmul for linear/matmul when the runtime has it; else the JS references */
  protected readonly gemm: WasmGemm | null;

  constructor(
    readonly maxTensorElements: number,
    simd: boolean,
  ) {
    super();
    this.gemm = simd ? WasmGemm.create() : null;
    this.label = this.gemm ? 'CPU (JS + WASM SIMD)' : 'CPU (JS)';
  }

  private own(t: Tensor, op: string): CpuTensor {
    if (this.destroyed) throw new DeviceLostError('destroyed', 'destroy() was called on this backend');
    if (!(t instanceof CpuTensor) || t.owner !== this)
      throw new Error(`${op}: tensor belongs to another backend`);
    if (t.disposed) throw new Error(`${op}: tensor [${t.shape.join(',')}] was disposed`);
    return t;
  }

  protected f32(t: Tensor, op: string): Float32Array {
    return this.own(t, op).data as Float32Array;
  }

  protected make(op: string, data: Float32Array | Uint32Array, shape: readonly number[]): Tensor {
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
      t.store.freed = true;
    }
  }

  reshape(t: Tensor, shape: readonly number[]): Tensor {
    const c = this.own(t, 'reshape');
    checkNewShape(shape, c.size);
    return new CpuTensor(this, [...shape], c.data, c.store, c.half);
  }

  matmul(a: Tensor, b: Tensor, opts?: { transposeB?: boolean }): Tensor {
    const tb = opts?.transposeB ?? false;
    const dims = matmulShape(a, b, tb);
    this.checkOut('matmul', dims.M * dims.N);
    const [fa, fb] = [this.f32(a, 'matmul'), this.f32(b, 'matmul')];
    const y = this.gemm
      ? this.gemm.linear(fa, fb, null, dims.M, dims.K, dims.N, tb ? 'nk' : 'kn', false)
      : matmulCpu(fa, fb, dims, tb);
    return this.make('matmul', y, [dims.M, dims.N]);
  }

  l2Normalize(x: Tensor): Tensor {
    const { rows, dim } = l2normShape(x);
    return this.make('l2Normalize', l2NormalizeCpu(this.f32(x, 'l2Normalize'), rows, dim), [rows, dim]);
  }

  maskedMeanPool(x: Tensor, mask: Tensor): Tensor {
    const dims = meanpoolShape(x, mask);
    const y = maskedMeanPoolCpu(this.f32(x, 'maskedMeanPool'), this.f32(mask, 'maskedMeanPool'), dims);
    return this.make('maskedMeanPool', y, [dims.B, dims.D]);
  }

  gather(table: Tensor, ids: Tensor): Tensor {
    const { V, D, N } = gatherShape(table, ids);
    this.checkOut('gather', N * D);
    const y = gatherCpu(this.f32(table, 'gather'), this.own(ids, 'gather').data as Uint32Array, V, D);
    return this.make('gather', y, [N, D]);
  }

  scores(q: Tensor, d: Tensor, metric: Metric): Tensor {
    const dims = scoresShape(q, d, metric);
    this.checkOut('scores', dims.Q * dims.N);
    const [fq, fd] = [this.f32(q, 'scores'), this.f32(d, 'scores')];
    if (!this.gemm) return this.make('scores', scoresCpu(fq, fd, dims, metric), [dims.Q, dims.N]);
    const [nq, nd] =
      metric === 'cosine'
        ? [l2NormalizeCpu(fq, dims.Q, dims.D), l2NormalizeCpu(fd, dims.N, dims.D)]
        : [fq, fd];
    return this.make('scores', this.gemm.linear(nq, nd, null, dims.Q, dims.D, dims.N, 'nk', false), [
      dims.Q,
      dims.N,
    ]);
  }

  async topK(scores: Tensor, k: number): Promise<TopK> {
    const { R, N } = topKShape(scores, k);
    return topKCpu(this.f32(scores, 'topK'), R, N, k);
  }

  linear(x: Tensor, w: Tensor, bias: Tensor | null, layout: 'kn' | 'nk'): Tensor {
    const d = linearShape(x, w, bias, layout, true);
    this.checkOut('linear', d.M * d.N);
    const b = bias ? this.f32(bias, 'linear') : null;
    const [fx, fw] = [this.f32(x, 'linear'), this.f32(w, 'linear')];
    const y = this.gemm
      ? this.gemm.linear(fx, fw, b, d.M, d.K, d.N, layout)
      : linearCpu(fx, fw, b, d, layout);
    return this.make('linear', y, d.outShape);
  }

  add(a: Tensor, b: Tensor): Tensor {
    addShape(a, b);
    return this.make('add', addCpu(this.f32(a, 'add'), this.f32(b, 'add')), a.shape);
  }

  mul(a: Tensor, b: Tensor): Tensor {
    mulShape(a, b);
    return this.make('mul', mulCpu(this.f32(a, 'mul'), this.f32(b, 'mul')), a.shape);
  }

  scale(x: Tensor, s: number): Tensor {
    scaleShape(x, s);
    return this.make('scale', scaleCpu(this.f32(x, 'scale'), s), x.shape);
  }

  layerNorm(x: Tensor, gamma: Tensor, beta: Tensor | null, eps: number): Tensor {
    const r = layerNormShape(x, gamma, beta, eps);
    const bt = beta ? this.f32(beta, 'layerNorm') : null;
    return this.make(
      'layerNorm',
      layerNormCpu(this.f32(x, 'layerNorm'), this.f32(gamma, 'layerNorm'), bt, eps, r),
      x.shape,
    );
  }

  rmsNorm(x: Tensor, gamma: Tensor, eps: number, opts?: { addOne?: boolean }): Tensor {
    const r = rmsNormShape(x, gamma, eps);
    const y = rmsNormCpu(this.f32(x, 'rmsNorm'), this.f32(gamma, 'rmsNorm'), eps, opts?.addOne ?? false, r);
    return this.make('rmsNorm', y, x.shape);
  }

  activation(x: Tensor, kind: Activation): Tensor {
    activationShape(x, kind);
    return this.make('activation', activationCpu(this.f32(x, 'activation'), kind), x.shape);
  }

  swiglu(gate: Tensor, up: Tensor): Tensor {
    swigluShape(gate, up);
    return this.make('swiglu', swigluCpu(this.f32(gate, 'swiglu'), this.f32(up, 'swiglu')), gate.shape);
  }

  softmax(x: Tensor): Tensor {
    const r = softmaxShape(x);
    return this.make('softmax', softmaxCpu(this.f32(x, 'softmax'), r), x.shape);
  }

  attention(q: Tensor, k: Tensor, v: Tensor, mask: Tensor, opts: { causal: boolean; scale: number }): Tensor {
    const d = attentionShape(q, k, v, mask, opts);
    const [fq, fk, fv, fm] = [q, k, v, mask].map((t) => this.f32(t, 'attention'));
    const y = this.gemm
      ? attentionGemm(this.gemm, fq, fk, fv, fm, d, opts)
      : attentionCpu(fq, fk, fv, fm, d, opts);
    return this.make('attention', y, q.shape);
  }

  rope(x: Tensor, opts: RopeOpts): Tensor {
    const d = ropeShape(x, opts);
    return this.make('rope', ropeCpu(this.f32(x, 'rope'), d, opts.theta), x.shape);
  }

  addPositional(x: Tensor, pos: Positional): Tensor {
    const d = positionalShape(x, pos);
    const fx = this.f32(x, 'addPositional');
    const y =
      pos.kind === 'table'
        ? addTableCpu(fx, this.f32(pos.table, 'addPositional'), d)
        : addSinusoidCpu(fx, sinusoid(pos), d);
    return this.make('addPositional', y, x.shape);
  }

  pool(x: Tensor, mask: Tensor, mode: PoolMode): Tensor {
    const d = poolShape(x, mask, mode);
    return this.make('pool', poolCpu(this.f32(x, 'pool'), this.f32(mask, 'pool'), d, mode), [d.B, d.D]);
  }

  destroy(): void {
    this.destroyed = true;
  }

  private checkOut(op: string, elements: number): void {
    if (elements > this.maxTensorElements)
      throw new TensorTooLargeError(op, elements, this.maxTensorElements);
  }
}

/** `maxTensorElements` may be lowered (tests use it to exercise chunking limits). */
/**
 * The CPU backend. `simd: false` keeps every op on the plain-TypeScript references (no WebAssembly):
 * the reference the benchmarks time the CPU path against.
 */
export function createCpuBackend(opts: { maxTensorElements?: number; simd?: boolean } = {}): Backend {
  return new CpuBackend(
    Math.min(CPU_MAX_TENSOR_ELEMENTS, opts.maxTensorElements ?? Infinity),
    opts.simd ?? true,
  );
}
