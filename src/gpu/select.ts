/**
 * Pick a backend. 'auto' takes WebGPU on a hardware GPU (navigator.gpu, or npm `webgpu` in Node) and the CPU
 * otherwise: with no adapter, and also when the only adapter is a software renderer (SwiftShader, llvmpipe, WARP…:
 * see software.ts), which is far slower than the CPU path. 'webgpu' takes whatever adapter there is, software
 * included; 'cpu' the CPU. Every choice says why, for the CLI's log line and the studio's header.
 */
import { WebGPUUnavailableError, type Backend } from '../core/backend';
import { getGPU } from './acquire';
import { createCpuBackend } from './cpu';
import { adapterFacts, decideAuto, softwareRenderer } from './software';
import { createWebGPUBackend, type WebGPUBackendOptions } from './webgpu';

export type BackendPreference = 'auto' | 'cpu' | 'webgpu';

export interface BackendChoice {
  backend: Backend;
  /** why this one, e.g. "auto: the only WebGPU adapter is SwiftShader, a software renderer (…)" */
  reason: string;
  /** the software renderer that 'auto' passed over (a caller says how to force it), else null */
  skipped: string | null;
}

const message = (err: unknown) => (err instanceof Error ? err.message : String(err));

export async function selectBackend(
  pref: BackendPreference,
  opts: WebGPUBackendOptions = {},
): Promise<BackendChoice> {
  if (pref === 'cpu') return { backend: createCpuBackend(), reason: 'cpu: as asked', skipped: null };
  if (pref !== 'auto' && pref !== 'webgpu')
    throw new RangeError(`unknown backend preference '${String(pref)}'`);
  const cpu = (reason: string, skipped: string | null = null): BackendChoice => ({
    backend: createCpuBackend(),
    reason,
    skipped,
  });
  let adapter: GPUAdapter | null = null;
  if (!opts.device) {
    try {
      const gpu = opts.gpu ?? (await getGPU());
      adapter = await gpu.requestAdapter(
        opts.powerPreference ? { powerPreference: opts.powerPreference } : undefined,
      );
    } catch (err) {
      if (pref === 'webgpu') throw asUnavailable(err);
      return cpu(`auto: WebGPU is unavailable (${message(err)})`);
    }
    if (!adapter) {
      if (pref === 'webgpu') throw new WebGPUUnavailableError('no WebGPU adapter is available');
      return cpu('auto: no WebGPU adapter is available');
    }
  }
  const facts = adapter ? adapterFacts(adapter) : null;
  let reason: string;
  if (!facts) {
    reason = `${pref}: the device given`;
  } else if (pref === 'auto') {
    const d = decideAuto(facts);
    if (d.use === 'cpu') return cpu(d.reason, d.software);
    reason = d.reason;
  } else {
    const software = softwareRenderer(facts);
    reason = software
      ? `webgpu: as asked, on ${software} (a software renderer, slower than the CPU path)`
      : 'webgpu: as asked';
  }
  try {
    const backend = await createWebGPUBackend(adapter ? { ...opts, adapter } : opts);
    return { backend, reason, skipped: null };
  } catch (err) {
    if (pref === 'webgpu') throw asUnavailable(err);
    return cpu(`auto: WebGPU could not start (${message(err)})`);
  }
}

function asUnavailable(err: unknown): WebGPUUnavailableError {
  return err instanceof WebGPUUnavailableError
    ? err
    : new WebGPUUnavailableError(`WebGPU backend could not start: ${message(err)}`);
}

/** The backend alone (tests, benchmarks): selectBackend without the reason. */
export async function acquireBackend(
  pref: BackendPreference,
  opts: WebGPUBackendOptions = {},
): Promise<Backend> {
  return (await selectBackend(pref, opts)).backend;
}
