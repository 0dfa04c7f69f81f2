import { describe, expect, it } from 'vitest';
import { DeviceLostError, TensorTooLargeError } from '../core/backend';
import { createCpuBackend } from './cpu';
import { createWebGPUBackend } from './webgpu';

describe('CPU backend', () => {
  it('identifies itself and copies data in and out', async () => {
    const be = createCpuBackend();
    expect(be.kind).toBe('cpu');
    expect(be.label).toMatch(/^CPU \(JS( \+ WASM SIMD, \d+ threads?(: .+)?)?\)$/);
    const src = Float32Array.of(1, 2);
    const t = be.tensor(src, [2]);
    src[0] = 9;
    const out = await be.readF32(t);
    expect(Array.from(out)).toEqual([1, 2]);
    out[1] = 7;
    expect(Array.from(await be.readF32(t))).toEqual([1, 2]);
    await expect(be.readF32(be.tensor(Uint32Array.of(1), [1]))).rejects.toThrow(/readF32: tensor is u32/);
  });

  it('enforces its tensor limit, disposal and destroy', async () => {
    const be = createCpuBackend({ maxTensorElements: 10 });
    expect(() => be.tensor(new Float32Array(11), [11])).toThrow(TensorTooLargeError);
    const a = be.tensor(new Float32Array(4), [4, 1]);
    expect(() => be.matmul(a, be.tensor(new Float32Array(4), [1, 4]))).toThrow(TensorTooLargeError);
    be.dispose(a);
    be.dispose(a);
    await expect(be.read(a)).rejects.toThrow(/was disposed/);
    be.destroy();
    expect(() => be.tensor(new Float32Array(1), [1])).toThrow(DeviceLostError);
  });

  it('rejects tensors of another backend', async () => {
    const a = createCpuBackend();
    const b = createCpuBackend();
    expect(() => b.l2Normalize(a.tensor(new Float32Array(4), [2, 2]))).toThrow(/another backend/);
  });

  it('createWebGPUBackend surfaces a missing adapter as WebGPUUnavailableError', async () => {
    const gpu = { requestAdapter: async () => null } as unknown as GPU;
    await expect(createWebGPUBackend({ gpu })).rejects.toMatchObject({ name: 'WebGPUUnavailableError' });
  });
});
