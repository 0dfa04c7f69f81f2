import { describe, expect, it } from 'vitest';
import { WebGPUUnavailableError } from '../core/backend';
import { getGPU } from './acquire';
import { acquireBackend, selectBackend } from './select';
import { adapterFacts, softwareRenderer } from './software';
import { makeWebGPU, SKIP_WEBGPU } from '../testing/backends';

const noAdapter = { requestAdapter: async () => null } as unknown as GPU;

/** A GPU whose only adapter reports `info`; opening a device on it fails loudly (auto must not try). */
function fakeGpu(info: Partial<GPUAdapterInfo> & { isFallbackAdapter?: boolean }): GPU {
  const adapter = {
    info,
    features: new Set<string>(),
    limits: {},
    requestDevice: () => Promise.reject(new Error('requestDevice was called on the fake adapter')),
  };
  return { requestAdapter: async () => adapter } as unknown as GPU;
}

describe('acquireBackend', () => {
  it("'cpu' gives the CPU backend", async () => {
    const be = await acquireBackend('cpu');
    expect(be.kind).toBe('cpu');
    be.destroy();
  });

  it("'auto' falls back to the CPU when WebGPU is unavailable; 'webgpu' throws the typed error", async () => {
    const c = await selectBackend('auto', { gpu: noAdapter });
    expect(c.backend.kind).toBe('cpu');
    expect(c.reason).toBe('auto: no WebGPU adapter is available');
    await expect(acquireBackend('webgpu', { gpu: noAdapter })).rejects.toBeInstanceOf(WebGPUUnavailableError);
  });

  it("'auto' takes the CPU over a software adapter without opening it; 'webgpu' still tries it", async () => {
    const gpu = fakeGpu({
      vendor: 'google',
      architecture: 'swiftshader',
      description: 'SwiftShader driver 5.0.0',
    });
    const c = await selectBackend('auto', { gpu });
    expect(c.backend.kind).toBe('cpu');
    expect(c.skipped).toBe('SwiftShader');
    expect(c.reason).toMatch(/only WebGPU adapter is SwiftShader \(a software renderer/);
    const fallback = await selectBackend('auto', { gpu: fakeGpu({ vendor: 'x', isFallbackAdapter: true }) });
    expect(fallback).toMatchObject({ skipped: 'a fallback adapter', backend: { kind: 'cpu' } });
    // 'webgpu' goes on to the device (which this fake refuses): the software adapter is not skipped
    await expect(selectBackend('webgpu', { gpu })).rejects.toThrow(/requestDevice was called/);
    // a hardware adapter is opened by 'auto' (the same refusal shows it tried, then fell back)
    const hw = await selectBackend('auto', {
      gpu: fakeGpu({ vendor: 'nvidia', description: 'NVIDIA H200' }),
    });
    expect(hw).toMatchObject({ backend: { kind: 'cpu' }, skipped: null });
    expect(hw.reason).toMatch(/^auto: WebGPU could not start \(.*requestDevice was called/);
  });

  it('the GPU test helper fails loudly (naming the opt-out) when WebGPU cannot be acquired', async () => {
    await expect(makeWebGPU({ gpu: noAdapter })).rejects.toThrow(/WebGPU is required .*STM_SKIP_WEBGPU=1/);
  });

  it('rejects an unknown preference', async () => {
    await expect(acquireBackend('metal' as 'cpu')).rejects.toThrow(/unknown backend preference/);
  });

  it.skipIf(SKIP_WEBGPU)(
    "in Node (npm webgpu): 'auto' takes the CPU over this machine's SwiftShader, 'webgpu' still reaches it",
    async () => {
      const adapter = await (await getGPU()).requestAdapter();
      const software = adapter && softwareRenderer(adapterFacts(adapter));
      const auto = await selectBackend('auto');
      // on a machine with a hardware GPU auto keeps WebGPU; on SwiftShader (CI, this machine) the CPU
      expect(auto.backend.kind).toBe(software ? 'cpu' : 'webgpu');
      expect(auto.skipped).toBe(software ?? null);
      auto.backend.destroy();
      const gpu = await selectBackend('webgpu');
      expect(gpu.backend.kind).toBe('webgpu');
      if (software) {
        expect(gpu.backend.label).toMatch(/swiftshader/i);
        expect(gpu.reason).toMatch(/software renderer/);
      }
      const b = gpu.backend;
      expect(await b.read(b.l2Normalize(b.tensor(Float32Array.of(3, 4), [1, 2])))).toEqual(
        Float32Array.of(0.6, 0.8),
      );
      b.destroy();
    },
  );
});
