/** Pick a backend: 'auto' prefers WebGPU (navigator.gpu, or npm `webgpu` in Node) and falls back to the CPU. */
import { WebGPUUnavailableError, type Backend } from '../core/backend';
import { createCpuBackend } from './cpu';
import { createWebGPUBackend, type WebGPUBackendOptions } from './webgpu';

export type BackendPreference = 'auto' | 'cpu' | 'webgpu';

export async function acquireBackend(
  pref: BackendPreference,
  opts: WebGPUBackendOptions = {},
): Promise<Backend> {
  if (pref === 'cpu') return createCpuBackend();
  if (pref !== 'auto' && pref !== 'webgpu')
    throw new RangeError(`unknown backend preference '${String(pref)}'`);
  try {
    return await createWebGPUBackend(opts);
  } catch (err) {
    const unavailable = err instanceof WebGPUUnavailableError;
    if (pref === 'webgpu') {
      if (unavailable) throw err;
      throw new WebGPUUnavailableError(
        `WebGPU backend could not start: ${err instanceof Error ? err.message : String(err)}`,
      );
    }
    console.warn(
      `WebGPU unavailable, using the CPU backend: ${err instanceof Error ? err.message : String(err)}`,
    );
    return createCpuBackend();
  }
}
