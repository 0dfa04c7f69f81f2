/** The CLI's compute backend: selectBackend, and one stderr line saying which backend and why. */
import { selectBackend, type BackendPreference } from '../gpu/select';
import { totalmem } from 'node:os';
import type { Backend } from '../core/backend';
import { fitLimitsOf, type DeviceFitLimits } from '../models/hf/fit';

export async function cliBackend(pref: BackendPreference, log: (msg: string) => void): Promise<Backend> {
  const c = await selectBackend(pref);
  const hint = c.skipped ? '; use --backend webgpu to force it' : '';
  log(`backend: ${c.backend.kind}, ${c.backend.label} — ${c.reason}${hint}`);
  return c.backend;
}

/**
 * The backend's limits for the fit check before a model is loaded (fit.ts): WebGPU's own limits, and a
 * memory budget of `gpuMemoryGiB` when given (WebGPU does not say how much memory a device has); the CPU's
 * budget is half the system memory.
 */
export function cliFitLimits(backend: Backend, gpuMemoryGiB?: number): DeviceFitLimits {
  const budget =
    backend.kind === 'cpu'
      ? {
          bytes: totalmem() / 2,
          source: `half of the ${(totalmem() / 2 ** 30).toFixed(1)} GiB of system memory`,
        }
      : gpuMemoryGiB !== undefined
        ? { bytes: gpuMemoryGiB * 2 ** 30, source: `--gpu-memory ${gpuMemoryGiB}` }
        : null;
  return fitLimitsOf(backend as Backend & { device?: GPUDevice }, budget);
}
