/** The WebGPU Backend: the ops of the table (src/kernels/ops.ts) on their GPU side, over the runtime (buffer
 * pool, pipeline cache, dispatch, error scopes); ops validate shapes and enqueue WGSL, only reads await. */
import { DeviceLostError, type Backend, type Tensor } from '../core/backend';
import { buildGpuOps, type KernelOps } from '../core/op';
import { getGPU, openDevice, requestDevice, type WebGPUFeatures } from './acquire';
import type { PoolStats } from './buffer-pool';
import type { PipelineCacheStats } from './pipeline-cache';
import { GpuRuntime, GpuTensor, type RuntimeLimits } from './runtime';
import { loadShader } from './shader-source';
import { checkNewShape } from '../kernels/shape';
import { ALL_SHADERS, OPS } from '../kernels/ops';

export interface WebGPUBackendOptions {
  /** use this device instead of acquiring one (the backend still destroys it in destroy()) */
  device?: GPUDevice;
  /** where to acquire adapters (default: navigator.gpu, or npm `webgpu` in Node) */
  gpu?: GPU;
  /** open the device on this adapter (already requested, e.g. to look at its info first) */
  adapter?: GPUAdapter;
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
    const acquired = opts.adapter
      ? await openDevice(opts.adapter)
      : await requestDevice(opts.gpu ?? (await getGPU()), opts.powerPreference);
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
  const rt = new GpuRuntime(device, limits, sources);
  return Object.assign(new WebGPUBackendImpl(rt, label, opts), buildGpuOps(OPS, rt));
}

/** Everything but the ops, which createWebGPUBackend adds from the table. */
class WebGPUBackendImpl implements Omit<WebGPUBackend, keyof KernelOps> {
  readonly kind = 'webgpu' as const;
  readonly maxTensorElements: number;
  readonly features: WebGPUFeatures;
  private destroyed = false;
  private readonly listeners = new Set<(err: DeviceLostError) => void>();

  constructor(
    private readonly rt: GpuRuntime,
    readonly label: string,
    private readonly opts: WebGPUBackendOptions,
  ) {
    this.maxTensorElements = rt.limits.maxTensorElements;
    this.features = { shaderF16: rt.limits.shaderF16 === true };
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
    return createWebGPUBackend({ ...this.opts, device: undefined, adapter: undefined });
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

  tensorQ8(data: Float32Array, shape: readonly number[]): Tensor {
    return this.rt.uploadQ8(data, shape);
  }

  async read(t: Tensor): Promise<Float32Array | Uint32Array> {
    const g = this.rt.own(t, 'read');
    this.rt.assertLive();
    if (g.dtype === 'f16') return this.rt.readF16(g);
    if (g.dtype === 'q8') return this.rt.readQ8(g);
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

  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    this.rt.lostInfo ??= { reason: 'destroyed', message: 'destroy() was called on this backend' };
    this.rt.destroy();
    this.rt.device.destroy();
  }
}
