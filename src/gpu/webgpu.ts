/** The WebGPU Backend: ops validate shapes, allocate results and enqueue WGSL programs; only read/topK await. */
import { DeviceLostError, type Backend, type Metric, type Tensor, type TopK } from '../core/backend';
import { getGPU, requestDevice, type WebGPUFeatures } from './acquire';
import type { PoolStats } from './buffer-pool';
import type { PipelineCacheStats } from './pipeline-cache';
import type { ProgramSpec, ShaderRef } from '../core/program';
import { GpuRuntime, GpuTensor, type RuntimeLimits } from './runtime';
import { loadShader } from './shader-source';
import { checkIds, gatherProgram, gatherShader, gatherShape } from '../kernels/gather';
import { l2normProgram, l2normShader, l2normShape } from '../kernels/l2norm';
import { matmulProgram, matmulShader, matmulShape } from '../kernels/matmul';
import { meanpoolProgram, meanpoolShader, meanpoolShape } from '../kernels/meanpool';
import { scoresProgram, scoresShader, scoresShape } from '../kernels/scores';
import { checkNewShape } from '../kernels/shape';
import { emptyTopK, topKPasses, topKShape, topkShader } from '../kernels/topk';
import type { PoolMode } from '../kernels/pool';
import type { RopeOpts } from '../kernels/rope';
import type { Activation, Positional } from '../core/transformer-ops';
import { GpuTransformerOps, TRANSFORMER_SHADERS } from './webgpu-transformer';
import { GpuTrainingOps, TRAINING_SHADERS } from './webgpu-training';

export const ALL_SHADERS: readonly ShaderRef[] = [
  ...[matmulShader, l2normShader, meanpoolShader, gatherShader, scoresShader, topkShader],
  ...TRANSFORMER_SHADERS,
  ...TRAINING_SHADERS,
];

export interface WebGPUBackendOptions {
  /** use this device instead of acquiring one (the backend still destroys it in destroy()) */
  device?: GPUDevice;
  /** where to acquire adapters (default: navigator.gpu, or npm `webgpu` in Node) */
  gpu?: GPU;
  powerPreference?: GPUPowerPreference;
  /** plan with lower limits than the device has (never higher); tests use this to force splitting */
  maxTensorElements?: number;
  maxWorkgroupsPerDimension?: number;
  shaderF16?: boolean; // use `shader-f16` where the device has it (default); false: packed f16 weights
}

export interface WebGPUBackendStats {
  buffers: PoolStats;
  staging: PoolStats;
  pipelines: PipelineCacheStats;
  liveTensors: number;
}

export interface WebGPUBackend extends Backend {
  readonly kind: 'webgpu';
  readonly device: GPUDevice;
  readonly isLost: boolean;
  readonly features: WebGPUFeatures;
  /** called once when the device is lost (not when destroy() is called); returns an unsubscribe */
  onDeviceLost(cb: (err: DeviceLostError) => void): () => void;
  /** acquire a fresh device with the same options (after a loss); this backend stays dead */
  reacquire(): Promise<WebGPUBackend>;
  /** wait for enqueued work's error scopes; throws GpuExecutionError / DeviceLostError */
  flush(): Promise<void>;
  stats(): WebGPUBackendStats;
}

export async function createWebGPUBackend(opts: WebGPUBackendOptions = {}): Promise<WebGPUBackend> {
  const sourcesP = Promise.all(ALL_SHADERS.map(async (s) => [s.key, await loadShader(s)] as const));
  let device = opts.device;
  let label = 'WebGPU device';
  if (!device) {
    const acquired = await requestDevice(opts.gpu ?? (await getGPU()), opts.powerPreference);
    device = acquired.device;
    label = acquired.label;
  }
  const sources = new Map(await sourcesP);
  const l = device.limits;
  const limits: RuntimeLimits = {
    maxTensorElements: Math.min(
      Math.floor(Math.min(l.maxStorageBufferBindingSize, l.maxBufferSize) / 4),
      opts.maxTensorElements ?? Infinity,
    ),
    maxWorkgroupsPerDimension: Math.min(
      l.maxComputeWorkgroupsPerDimension,
      opts.maxWorkgroupsPerDimension ?? Infinity,
    ),
    maxInvocationsPerWorkgroup: Math.min(l.maxComputeInvocationsPerWorkgroup, l.maxComputeWorkgroupSizeX),
    maxWorkgroupStorageBytes: l.maxComputeWorkgroupStorageSize,
    shaderF16: device.features.has('shader-f16') && opts.shaderF16 !== false,
  };
  return new WebGPUBackendImpl(new GpuRuntime(device, limits, sources), label, opts);
}

class WebGPUBackendImpl extends GpuTrainingOps implements WebGPUBackend {
  readonly kind = 'webgpu' as const;
  readonly maxTensorElements: number;
  readonly features: WebGPUFeatures;
  private destroyed = false;
  private readonly ops: GpuTransformerOps;
  private readonly listeners = new Set<(err: DeviceLostError) => void>();

  constructor(
    rt: GpuRuntime,
    readonly label: string,
    private readonly opts: WebGPUBackendOptions,
  ) {
    super(rt);
    this.maxTensorElements = rt.limits.maxTensorElements;
    this.features = { shaderF16: rt.limits.shaderF16 === true };
    this.ops = new GpuTransformerOps(rt);
    void rt.device.lost.then((info) => {
      if (this.destroyed) return;
      rt.lostInfo = { reason: info.reason ?? 'unknown', message: info.message };
      const err = new DeviceLostError(rt.lostInfo.reason, info.message);
      for (const cb of this.listeners) cb(err);
    });
  }

  get device(): GPUDevice {
    return this.rt.device;
  }

  get isLost(): boolean {
    return this.rt.lostInfo !== null;
  }

  onDeviceLost(cb: (err: DeviceLostError) => void): () => void {
    this.listeners.add(cb);
    return () => this.listeners.delete(cb);
  }

  reacquire(): Promise<WebGPUBackend> {
    return createWebGPUBackend({ ...this.opts, device: undefined });
  }

  flush(): Promise<void> {
    return this.rt.flush();
  }

  stats(): WebGPUBackendStats {
    const rt = this.rt;
    return {
      buffers: { ...rt.storage.stats },
      staging: { ...rt.staging.stats },
      pipelines: { ...rt.pipelines.stats },
      liveTensors: rt.liveTensors,
    };
  }

  tensor(data: Float32Array | Uint32Array, shape: readonly number[]): Tensor {
    checkNewShape(shape, data.length);
    return this.rt.scoped('tensor', () => this.rt.upload(data, [...shape]));
  }

  tensorF16(data: Float32Array, shape: readonly number[]): Tensor {
    return this.rt.uploadF16(data, shape);
  }

  async read(t: Tensor): Promise<Float32Array | Uint32Array> {
    const g = this.rt.own(t, 'read');
    this.rt.assertLive();
    if (g.dtype === 'f16') return this.rt.readF16(g);
    const bytes = await this.rt.readBytes(g.buffer, g.size * 4);
    return g.dtype === 'u32' ? new Uint32Array(bytes) : new Float32Array(bytes);
  }

  async readF32(t: Tensor): Promise<Float32Array> {
    if (t.dtype !== 'f32') throw new Error(`readF32: tensor is ${t.dtype}`);
    return (await this.read(t)) as Float32Array;
  }

  reshape(t: Tensor, shape: readonly number[]): Tensor {
    const g = this.rt.own(t, 'reshape');
    checkNewShape(shape, g.size);
    return new GpuTensor(this.rt, [...shape], g.dtype, g.size, g.store);
  }

  dispose(...ts: Tensor[]): void {
    for (const t of ts) {
      if (t instanceof GpuTensor && t.owner === this.rt) this.rt.release(t);
      else throw new Error('dispose: tensor belongs to another backend');
    }
  }

  matmul(a: Tensor, b: Tensor, opts?: { transposeB?: boolean }): Tensor {
    const tb = opts?.transposeB ?? false;
    const dims = matmulShape(a, b, tb);
    return this.run('matmul', [dims.M, dims.N], [a, b], () => matmulProgram(dims, tb, this.rt.limits));
  }

  l2Normalize(x: Tensor): Tensor {
    const { rows, dim } = l2normShape(x);
    return this.run('l2Normalize', [rows, dim], [x], () => l2normProgram(rows, dim, this.rt.limits));
  }

  maskedMeanPool(x: Tensor, mask: Tensor): Tensor {
    const dims = meanpoolShape(x, mask);
    return this.run('maskedMeanPool', [dims.B, dims.D], [x, mask], () =>
      meanpoolProgram(dims, this.rt.limits),
    );
  }

  gather(table: Tensor, ids: Tensor): Tensor {
    const { V, D, N } = gatherShape(table, ids);
    const hostIds = this.rt.own(ids, 'gather').store.hostIds;
    if (hostIds) checkIds(hostIds, V);
    return this.run('gather', [N, D], [table, ids], () => gatherProgram(V, D, N, this.rt.limits));
  }

  scores(q: Tensor, d: Tensor, metric: Metric): Tensor {
    const dims = scoresShape(q, d, metric);
    return this.run('scores', [dims.Q, dims.N], [q, d], () => scoresProgram(dims, metric, this.rt.limits));
  }

  async topK(scores: Tensor, k: number): Promise<TopK> {
    const { R, N } = topKShape(scores, k);
    const src = this.rt.own(scores, 'topK');
    this.rt.assertLive();
    if (R === 0 || N === 0) return emptyTopK(R, k);
    const passes = topKPasses(R, N, k, this.rt.limits);
    const temps: GPUBuffer[] = [];
    const [vals, idx] = this.rt.scoped('topK', () => {
      let inVals = src.buffer;
      let inIdx: GPUBuffer | null = null;
      for (const pass of passes) {
        this.rt.checkSize('topK', pass.outEntries);
        const ov = this.rt.storage.acquire(pass.outEntries * 4);
        const oi = this.rt.storage.acquire(pass.outEntries * 4);
        temps.push(ov, oi);
        this.rt.dispatch(pass.spec, inIdx ? [inVals, inIdx, ov, oi] : [inVals, ov, oi]);
        inVals = ov;
        inIdx = oi;
      }
      return [inVals, inIdx as GPUBuffer];
    });
    const kp = passes[passes.length - 1].outEntries / R;
    try {
      const [vb, ib] = await Promise.all([
        this.rt.readBytes(vals, R * kp * 4),
        this.rt.readBytes(idx, R * kp * 4),
      ]);
      const v = new Float32Array(vb);
      const ix = new Uint32Array(ib);
      const out = emptyTopK(R, k);
      for (let r = 0; r < R; r++) {
        out.scores.set(v.subarray(r * kp, r * kp + k), r * k);
        out.indices.set(ix.subarray(r * kp, r * kp + k), r * k);
      }
      return out;
    } finally {
      if (!this.rt.lostInfo) for (const b of temps) this.rt.storage.release(b);
    }
  }

  // TransformerOps: see webgpu-transformer.ts
  linear(x: Tensor, w: Tensor, bias: Tensor | null, layout: 'kn' | 'nk'): Tensor {
    return this.ops.linear(x, w, bias, layout);
  }
  add(a: Tensor, b: Tensor): Tensor {
    return this.ops.add(a, b);
  }
  mul(a: Tensor, b: Tensor): Tensor {
    return this.ops.mul(a, b);
  }
  scale(x: Tensor, s: number): Tensor {
    return this.ops.scale(x, s);
  }
  layerNorm(x: Tensor, gamma: Tensor, beta: Tensor | null, eps: number): Tensor {
    return this.ops.layerNorm(x, gamma, beta, eps);
  }
  rmsNorm(x: Tensor, gamma: Tensor, eps: number, opts?: { addOne?: boolean }): Tensor {
    return this.ops.rmsNorm(x, gamma, eps, opts);
  }
  activation(x: Tensor, kind: Activation): Tensor {
    return this.ops.activation(x, kind);
  }
  swiglu(gate: Tensor, up: Tensor): Tensor {
    return this.ops.swiglu(gate, up);
  }
  softmax(x: Tensor): Tensor {
    return this.ops.softmax(x);
  }
  attention(q: Tensor, k: Tensor, v: Tensor, mask: Tensor, opts: { causal: boolean; scale: number }): Tensor {
    return this.ops.attention(q, k, v, mask, opts);
  }
  rope(x: Tensor, opts: RopeOpts): Tensor {
    return this.ops.rope(x, opts);
  }
  addPositional(x: Tensor, pos: Positional): Tensor {
    return this.ops.addPositional(x, pos);
  }
  pool(x: Tensor, mask: Tensor, mode: PoolMode): Tensor {
    return this.ops.pool(x, mask, mode);
  }

  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    this.rt.lostInfo ??= { reason: 'destroyed', message: 'destroy() was called on this backend' };
    this.rt.destroy();
    this.rt.device.destroy();
  }

  /** Validate the result size, allocate it and enqueue the program (skipped for empty outputs). */
  private run(op: string, outShape: number[], inputs: Tensor[], program: () => ProgramSpec): Tensor {
    const ins = inputs.map((t) => this.rt.own(t, op));
    return this.rt.scoped(op, () => {
      const out = this.rt.alloc(op, outShape, 'f32');
      if (out.size > 0) this.rt.dispatch(program(), [...ins.map((t) => t.buffer), out.buffer]);
      return out;
    });
  }
}
