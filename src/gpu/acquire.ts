/** Finds a WebGPU implementation (navigator.gpu in pages and workers, npm `webgpu` in Node) and opens a device. */
import { WebGPUUnavailableError } from '../core/backend';
import { isNode, nodeGPU } from './node';

export async function getGPU(): Promise<GPU> {
  const nav = (globalThis as { navigator?: { gpu?: GPU } }).navigator;
  if (nav?.gpu) return nav.gpu;
  if (isNode()) {
    try {
      return await nodeGPU();
    } catch (err) {
      throw new WebGPUUnavailableError(
        `npm 'webgpu' could not be loaded in Node: ${err instanceof Error ? err.message : String(err)}`,
      );
    }
  }
  throw new WebGPUUnavailableError('navigator.gpu is not available in this browser or worker');
}

export interface AcquiredDevice {
  device: GPUDevice;
  label: string;
}

/** Request the adapter and a device whose buffer limits are raised to what the adapter allows, with the
 * optional features of wantedFeatures() that the adapter has. */
export async function requestDevice(gpu: GPU, powerPreference?: GPUPowerPreference): Promise<AcquiredDevice> {
  const adapter = await gpu.requestAdapter(powerPreference ? { powerPreference } : undefined);
  if (!adapter) throw new WebGPUUnavailableError('no WebGPU adapter is available');
  return openDevice(adapter);
}

/** A device of this adapter (which is used up by it), limits raised as requestDevice() says. */
export async function openDevice(adapter: GPUAdapter): Promise<AcquiredDevice> {
  const l = adapter.limits;
  const requiredLimits: Record<string, number> = {
    maxStorageBufferBindingSize: l.maxStorageBufferBindingSize,
    maxBufferSize: l.maxBufferSize,
    maxComputeWorkgroupStorageSize: l.maxComputeWorkgroupStorageSize,
    maxComputeInvocationsPerWorkgroup: l.maxComputeInvocationsPerWorkgroup,
    maxComputeWorkgroupSizeX: l.maxComputeWorkgroupSizeX,
    maxComputeWorkgroupSizeY: l.maxComputeWorkgroupSizeY,
  };
  let device: GPUDevice;
  try {
    device = await adapter.requestDevice({
      requiredLimits,
      requiredFeatures: wantedFeatures(adapter.features),
      label: 'stm-studio',
    });
  } catch (err) {
    throw new WebGPUUnavailableError(
      `requestDevice failed: ${err instanceof Error ? err.message : String(err)}`,
    );
  }
  return { device, label: adapterLabel(adapter.info) };
}

/** Optional device capabilities the WebGPU backend's kernels use (backend.features). */
export interface WebGPUFeatures {
  /** f16 weights run linear's `enable f16;` kernel (else the packed-u32 one that every adapter runs) */
  readonly shaderF16: boolean;
}

/** Optional features the kernels can use, requested whenever the adapter offers them: `shader-f16`
 * (linear's `enable f16;` variant for f16 weights). Everything keeps an f32 / core path without them. */
export function wantedFeatures(adapterFeatures: ReadonlySet<string>): GPUFeatureName[] {
  return adapterFeatures.has('shader-f16') ? ['shader-f16'] : [];
}

export function adapterLabel(info: GPUAdapterInfo | undefined): string {
  if (!info) return 'WebGPU device';
  const parts = [info.description, info.vendor, info.architecture, info.device].filter((s) => !!s);
  return parts.length ? parts.join(' / ') : 'WebGPU device';
}
