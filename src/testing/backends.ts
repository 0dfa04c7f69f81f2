/**
 * Test support shared by kernel and runtime tests: the backends to run every case on, a seeded RNG and
 * a tolerance check. WebGPU is required (CI has SwiftShader); STM_SKIP_WEBGPU=1 opts out explicitly.
 */
import type { Backend } from '../core/backend';
import { mulberry32 } from '../util/rng';
import { createCpuBackend } from '../gpu/cpu';
import { createWebGPUBackend, type WebGPUBackend, type WebGPUBackendOptions } from '../gpu/webgpu';

export const SKIP_WEBGPU =
  (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env?.STM_SKIP_WEBGPU ===
  '1';

export interface BackendCase {
  name: 'cpu' | 'webgpu';
  make: () => Promise<Backend>;
}

/** Fails (does not skip) when WebGPU cannot be acquired, unless STM_SKIP_WEBGPU=1. */
export function makeWebGPU(opts: WebGPUBackendOptions = {}): Promise<WebGPUBackend> {
  return createWebGPUBackend(opts).catch((err: unknown) => {
    throw new Error(
      `WebGPU is required for these tests (set STM_SKIP_WEBGPU=1 to skip them): ${err instanceof Error ? err.message : String(err)}`,
    );
  });
}

export function backendCases(): BackendCase[] {
  const cases: BackendCase[] = [{ name: 'cpu', make: async () => createCpuBackend() }];
  if (!SKIP_WEBGPU) cases.push({ name: 'webgpu', make: () => makeWebGPU() });
  return cases;
}

/** deterministic uniforms in [0,1) (the project's mulberry32) */
export const rng = mulberry32;

export function randomF32(n: number, seed: number, lo = -1, hi = 1): Float32Array {
  const r = rng(seed);
  return Float32Array.from({ length: n }, () => lo + (hi - lo) * r());
}

/** Small integers in [lo, hi]: their dot products are exact in f32, so GPU and CPU agree bit for bit. */
export function randomInts(n: number, seed: number, lo = -3, hi = 3): Float32Array {
  const r = rng(seed);
  return Float32Array.from({ length: n }, () => lo + Math.floor((hi - lo + 1) * r()));
}

/** Throws naming the first element where |got - want| > atol + rtol * |want|. */
export function assertClose(
  got: ArrayLike<number>,
  want: ArrayLike<number>,
  rtol: number,
  atol: number,
  label = '',
): void {
  if (got.length !== want.length) throw new Error(`${label}: length ${got.length} != ${want.length}`);
  for (let i = 0; i < want.length; i++) {
    const err = Math.abs(got[i] - want[i]);
    if (!(err <= atol + rtol * Math.abs(want[i])) && got[i] !== want[i]) {
      throw new Error(
        `${label}: element ${i}: got ${got[i]}, want ${want[i]} (|diff| ${err} > ${atol} + ${rtol}*|want|)`,
      );
    }
  }
}
