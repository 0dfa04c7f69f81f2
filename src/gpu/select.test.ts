import { describe, expect, it } from 'vitest';
import { WebGPUUnavailableError } from '../core/backend';
import { acquireBackend } from './select';
import { makeWebGPU, SKIP_WEBGPU } from '../testing/backends';

const noAdapter = { requestAdapter: async () => null } as unknown as GPU;

describe('acquireBackend', () => {
  it("'cpu' gives the CPU backend", async () => {
    const be = await acquireBackend('cpu');
    expect(be.kind).toBe('cpu');
    be.destroy();
  });

  it("'auto' falls back to the CPU when WebGPU is unavailable; 'webgpu' throws the typed error", async () => {
    const be = await acquireBackend('auto', { gpu: noAdapter });
    expect(be.kind).toBe('cpu');
    await expect(acquireBackend('webgpu', { gpu: noAdapter })).rejects.toBeInstanceOf(WebGPUUnavailableError);
  });

  it('the GPU test helper fails loudly (naming the opt-out) when WebGPU cannot be acquired', async () => {
    await expect(makeWebGPU({ gpu: noAdapter })).rejects.toThrow(/WebGPU is required .*STM_SKIP_WEBGPU=1/);
  });

  it('rejects an unknown preference', async () => {
    await expect(acquireBackend('metal' as 'cpu')).rejects.toThrow(/unknown backend preference/);
  });

  it.skipIf(SKIP_WEBGPU)("'auto' and 'webgpu' pick WebGPU in Node (npm webgpu)", async () => {
    const auto = await acquireBackend('auto');
    expect(auto.kind).toBe('webgpu');
    auto.destroy();
    const gpu = await acquireBackend('webgpu');
    expect(gpu.kind).toBe('webgpu');
    expect(await gpu.read(gpu.l2Normalize(gpu.tensor(Float32Array.of(3, 4), [1, 2])))).toEqual(
      Float32Array.of(0.6, 0.8),
    );
    gpu.destroy();
  });
});
