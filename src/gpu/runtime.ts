/**
 * The WebGPU runtime under the backend: tensors as pooled storage buffers, cached pipelines, dispatch
 * of ProgramSpecs (folded to the per-dimension limit), GPU error scopes surfaced as JS errors, readback
 * through pooled staging buffers, and device-lost bookkeeping.
 */
import {
  DeviceLostError,
  GpuExecutionError,
  TensorTooLargeError,
  type DType,
  type Tensor,
} from '../core/backend';
import { BufferPool } from './buffer-pool';
import { packF16, toF16Bits, unpackF16 } from '../kernels/f16';
import { packQ8, q8Words, quantizeQ8, unpackQ8 } from '../kernels/q8';
import { checkNewShape } from '../kernels/shape';
import { PipelineCache } from './pipeline-cache';
import { layoutDispatch, type KernelLimits, type ProgramSpec } from '../core/program';
import type { GpuOpContext } from '../core/op';

/** One GPU allocation; several tensors (reshaped views) may share it, and disposing any of them frees it. */
export interface GpuStore {
  readonly buffer: GPUBuffer;
  freed: boolean;
  /** host copy of small u32 uploads (ids), so gather can reject bad ids before dispatch */
  readonly hostIds?: Uint32Array;
}

export class GpuTensor implements Tensor {
  constructor(
    readonly owner: GpuRuntime,
    readonly shape: readonly number[],
    readonly dtype: DType,
    readonly size: number,
    readonly store: GpuStore,
  ) {}
  get buffer(): GPUBuffer {
    return this.store.buffer;
  }
  get disposed(): boolean {
    return this.store.freed;
  }
}

export interface RuntimeLimits extends KernelLimits {
  maxTensorElements: number;
  maxWorkgroupsPerDimension: number;
}

const HOST_ID_COPY_LIMIT = 1 << 20;

export class GpuRuntime implements GpuOpContext {
  readonly storage: BufferPool;
  readonly staging: BufferPool;
  readonly uniforms: BufferPool;
  readonly pipelines: PipelineCache;
  lostInfo: { reason: string; message: string } | null = null;
  liveTensors = 0;
  private firstError: GpuExecutionError | null = null;
  private readonly inflight = new Set<Promise<void>>();

  constructor(
    readonly device: GPUDevice,
    readonly limits: RuntimeLimits,
    sources: ReadonlyMap<string, string>,
  ) {
    const maxBytes = limits.maxTensorElements * 4;
    const U = GPUBufferUsage;
    this.storage = new BufferPool(device, U.STORAGE | U.COPY_SRC | U.COPY_DST, 'tensor', maxBytes);
    this.staging = new BufferPool(device, U.MAP_READ | U.COPY_DST, 'staging', maxBytes);
    this.uniforms = new BufferPool(device, U.UNIFORM | U.COPY_DST, 'uniform', 65536);
    this.pipelines = new PipelineCache(device, sources);
  }

  assertLive(): void {
    if (this.lostInfo) throw new DeviceLostError(this.lostInfo.reason, this.lostInfo.message);
  }

  checkSize(op: string, elements: number): void {
    if (elements > this.limits.maxTensorElements)
      throw new TensorTooLargeError(op, elements, this.limits.maxTensorElements);
  }

  own(t: Tensor, op: string): GpuTensor {
    if (!(t instanceof GpuTensor) || t.owner !== this)
      throw new Error(`${op}: tensor belongs to another backend`);
    if (t.disposed) throw new Error(`${op}: tensor [${t.shape.join(',')}] was disposed`);
    return t;
  }

  alloc(op: string, shape: readonly number[], dtype: DType, hostIds?: Uint32Array): GpuTensor {
    this.assertLive();
    const size = shape.reduce((a, b) => a * b, 1);
    const words = dtype === 'f16' ? Math.ceil(size / 2) : dtype === 'q8' ? q8Words(shape) : size;
    this.checkSize(op, words);
    this.liveTensors++;
    return new GpuTensor(this, shape, dtype, size, {
      buffer: this.storage.acquire(words * 4),
      freed: false,
      hostIds,
    });
  }

  /** An f16 tensor of `data` rounded to halves, stored two per u32 word (kernels/f16.ts: toF16Bits, packF16). */
  uploadF16(data: Float32Array, shape: readonly number[]): GpuTensor {
    checkNewShape(shape, data.length);
    const words = packF16(toF16Bits(data));
    return this.scoped('tensorF16', () => {
      const t = this.alloc('tensorF16', shape, 'f16');
      if (words.length) this.device.queue.writeBuffer(t.buffer, 0, words.buffer, 0, words.byteLength);
      return t;
    });
  }

  /** A q8 tensor [rows, cols]: int8 values four per u32, then the rows' f32 scales (kernels/q8.ts). */
  uploadQ8(data: Float32Array, shape: readonly number[]): GpuTensor {
    checkNewShape(shape, data.length);
    if (shape.length !== 2)
      throw new Error(`tensorQ8: a matrix [rows, cols] is needed, got [${shape.join(', ')}]`);
    const words = packQ8(quantizeQ8(data, shape[0], shape[1]));
    return this.scoped('tensorQ8', () => {
      const t = this.alloc('tensorQ8', shape, 'q8');
      if (words.length) this.device.queue.writeBuffer(t.buffer, 0, words.buffer, 0, words.byteLength);
      return t;
    });
  }

  upload(data: Float32Array | Uint32Array, shape: readonly number[]): GpuTensor {
    const dtype: DType = data instanceof Uint32Array ? 'u32' : 'f32';
    const ids =
      dtype === 'u32' && data.length <= HOST_ID_COPY_LIMIT ? (data.slice() as Uint32Array) : undefined;
    const t = this.alloc('tensor', shape, dtype, ids);
    if (data.length)
      this.device.queue.writeBuffer(t.buffer, 0, data.buffer, data.byteOffset, data.byteLength);
    return t;
  }

  /** The values of an f16 tensor, widened to f32 (exact). */
  async readF16(t: GpuTensor): Promise<Float32Array> {
    return unpackF16(new Uint32Array(await this.readBytes(t.buffer, Math.ceil(t.size / 2) * 4)), t.size);
  }

  /** The dequantised values of a q8 tensor. */
  async readQ8(t: GpuTensor): Promise<Float32Array> {
    const words = new Uint32Array(await this.readBytes(t.buffer, q8Words(t.shape) * 4));
    return unpackQ8(words, t.shape[0], t.shape[1]);
  }

  release(t: GpuTensor): void {
    if (t.store.freed) return;
    t.store.freed = true;
    this.liveTensors--;
    if (!this.lostInfo) this.storage.release(t.buffer);
  }

  /** Run `fn` inside validation + out-of-memory error scopes; errors surface at the next flush(). */
  scoped<T>(label: string, fn: () => T): T {
    this.assertLive();
    this.device.pushErrorScope('out-of-memory');
    this.device.pushErrorScope('validation');
    try {
      return fn();
    } finally {
      const v = this.device.popErrorScope().catch(() => null);
      const o = this.device.popErrorScope().catch(() => null);
      const p = Promise.all([v, o]).then(([ve, oe]) => {
        const e = ve ?? oe;
        if (e && !this.firstError) {
          this.firstError = new GpuExecutionError(
            ve ? 'validation' : 'out-of-memory',
            `${label}: ${e.message}`,
          );
        }
      });
      this.inflight.add(p);
      void p.finally(() => this.inflight.delete(p));
    }
  }

  /** Encode and submit one program over the given buffers (in spec.bindings order). */
  dispatch(spec: ProgramSpec, buffers: readonly GPUBuffer[]): void {
    const pipeline = this.pipelines.get(spec.shader.key, spec.entryPoint, spec.overrides);
    const ubuf = this.uniforms.acquire(spec.uniforms.byteLength);
    this.device.queue.writeBuffer(ubuf, 0, spec.uniforms);
    const entries: GPUBindGroupEntry[] = spec.bindings.map((binding, i) => ({
      binding,
      resource: { buffer: buffers[i] },
    }));
    entries.push({ binding: spec.uniformBinding, resource: { buffer: ubuf } });
    const bindGroup = this.device.createBindGroup({ layout: pipeline.getBindGroupLayout(0), entries });
    const [x, y] = layoutDispatch(spec.workgroups, this.limits.maxWorkgroupsPerDimension);
    const enc = this.device.createCommandEncoder({ label: spec.shader.key });
    const pass = enc.beginComputePass();
    pass.setPipeline(pipeline);
    pass.setBindGroup(0, bindGroup);
    pass.dispatchWorkgroups(x, y);
    pass.end();
    this.device.queue.submit([enc.finish()]);
    // later writes to this uniform buffer are ordered after this submit on the queue
    this.uniforms.release(ubuf);
  }

  /** The one run helper of every op: validate the inputs, allocate the result and enqueue the program
   * (skipped for an empty result). Bindings: the inputs in order, then the result. */
  run(
    op: string,
    outShape: readonly number[],
    inputs: readonly Tensor[],
    program: () => ProgramSpec,
  ): GpuTensor {
    const ins = inputs.map((t) => this.own(t, op));
    return this.scoped(op, () => {
      const out = this.alloc(op, [...outShape], 'f32');
      if (out.size > 0) this.dispatch(program(), [...ins.map((t) => t.buffer), out.buffer]);
      return out;
    });
  }

  /** In-place dispatch; an operand that aliases an earlier one (addInPlace(t, t)) is read from a copy,
   * since one dispatch may not bind a buffer both writable and again. */
  runInPlace(op: string, tensors: readonly Tensor[], program: () => ProgramSpec): void {
    const bufs = tensors.map((t) => this.own(t, op).buffer);
    if (tensors[0].size === 0) return;
    this.scoped(op, () => {
      const temps: GpuTensor[] = [];
      for (let i = 1; i < bufs.length; i++) {
        if (!bufs.slice(0, i).includes(bufs[i])) continue;
        const c = this.alloc(op, tensors[i].shape, 'f32');
        const enc = this.device.createCommandEncoder({ label: `${op} alias copy` });
        enc.copyBufferToBuffer(bufs[i], 0, c.buffer, 0, tensors[i].size * 4);
        this.device.queue.submit([enc.finish()]);
        temps.push(c);
        bufs[i] = c.buffer;
      }
      this.dispatch(program(), bufs);
      for (const t of temps) this.release(t);
    });
  }

  /** dispatch() over tensors (in spec.bindings order) */
  enqueue(spec: ProgramSpec, tensors: readonly Tensor[]): void {
    this.dispatch(
      spec,
      tensors.map((t) => this.own(t, spec.shader.key).buffer),
    );
  }

  /** The first `elements` 32-bit words of t. */
  readWords(t: Tensor, elements: number): Promise<ArrayBuffer> {
    return this.readBytes(this.own(t, 'read').buffer, elements * 4);
  }

  hostIds(t: Tensor, op: string): Uint32Array | undefined {
    return this.own(t, op).store.hostIds;
  }

  /** Wait for error scopes of everything enqueued so far; throw the first GPU error seen. */
  async flush(): Promise<void> {
    await Promise.all([...this.inflight]);
    this.assertLive();
    const e = this.firstError;
    if (e) {
      this.firstError = null;
      throw e;
    }
  }

  /** Copy `bytes` from `src` to a staging buffer and map it; returns a copy of the data. */
  async readBytes(src: GPUBuffer, bytes: number): Promise<ArrayBuffer> {
    if (bytes === 0) return new ArrayBuffer(0);
    const staging = this.scoped('read', () => {
      const s = this.staging.acquire(bytes);
      const enc = this.device.createCommandEncoder({ label: 'readback' });
      enc.copyBufferToBuffer(src, 0, s, 0, bytes);
      this.device.queue.submit([enc.finish()]);
      return s;
    });
    try {
      await this.flush();
    } catch (err) {
      if (!this.lostInfo) this.staging.release(staging);
      throw err;
    }
    try {
      await staging.mapAsync(GPUMapMode.READ, 0, bytes);
    } catch (err) {
      await this.settleLoss();
      this.assertLive();
      this.staging.release(staging);
      throw err;
    }
    const out = staging.getMappedRange(0, bytes).slice(0);
    staging.unmap();
    this.staging.release(staging);
    return out;
  }

  /** After a failed map, give device.lost a moment to resolve so the typed error wins. */
  private async settleLoss(): Promise<void> {
    await Promise.race([this.device.lost, new Promise((r) => setTimeout(r, 100))]);
  }

  destroy(): void {
    this.storage.clear();
    this.staging.clear();
    this.uniforms.clear();
  }
}
