import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DeviceLostError, GpuExecutionError, TensorTooLargeError } from '../core/backend';
import { GpuRuntime } from './runtime';
import { assertClose, makeWebGPU, randomF32, SKIP_WEBGPU } from '../testing/backends';
import type { WebGPUBackend } from './webgpu';
import { matmulCpu } from '../kernels/matmul';
import { l2NormalizeCpu } from '../kernels/l2norm';
import { searchTopK } from '../kernels/search';
import { scoresCpu } from '../kernels/scores';
import { topKCpu } from '../kernels/topk';

describe.skipIf(SKIP_WEBGPU)('WebGPU runtime', () => {
  let be: WebGPUBackend;
  beforeAll(async () => {
    be = await makeWebGPU();
  });
  afterAll(() => be?.destroy());

  it('reports the device and its tensor limit', () => {
    expect(be.kind).toBe('webgpu');
    expect(be.label.length).toBeGreaterThan(0);
    expect(be.maxTensorElements).toBe(
      Math.floor(Math.min(be.device.limits.maxStorageBufferBindingSize, be.device.limits.maxBufferSize) / 4),
    );
  });

  it('round-trips f32 and u32 tensors, including empty ones', async () => {
    const f = Float32Array.of(1.5, -2, 3e-8);
    expect(await be.read(be.tensor(f, [3]))).toEqual(f);
    const u = Uint32Array.of(0, 7, 0xffffffff);
    const got = await be.read(be.tensor(u, [1, 3]));
    expect(got).toBeInstanceOf(Uint32Array);
    expect(got).toEqual(u);
    expect((await be.read(be.tensor(new Float32Array(0), [0, 5]))).length).toBe(0);
    expect(() => be.tensor(new Float32Array(5), [2, 3])).toThrow(/holds 6 elements but data has 5/);
  });

  it('reuses pooled buffers of the same size class', async () => {
    const a = be.tensor(new Float32Array(1000), [1000]);
    be.dispose(a);
    const before = be.stats().buffers;
    const b = be.tensor(new Float32Array(990), [990]);
    const after = be.stats().buffers;
    expect(after.reused).toBe(before.reused + 1);
    expect(after.created).toBe(before.created);
    be.dispose(b);
  });

  it('hits the pipeline cache for repeated programs and misses for new override constants', async () => {
    const x = be.tensor(randomF32(12, 1), [3, 4]);
    be.dispose(be.l2Normalize(x));
    const s0 = be.stats().pipelines;
    be.dispose(be.l2Normalize(x));
    const s1 = be.stats().pipelines;
    expect(s1.hits).toBe(s0.hits + 1);
    expect(s1.misses).toBe(s0.misses);
    be.dispose(be.matmul(x, x, { transposeB: true }));
    be.dispose(be.matmul(x, be.tensor(new Float32Array(8), [4, 2])));
    expect(be.stats().pipelines.misses).toBeGreaterThanOrEqual(s1.misses + 1);
    await be.flush();
  });

  it('throws TensorTooLargeError past maxTensorElements, and searchTopK chunks under it', async () => {
    const small = await makeWebGPU({ maxTensorElements: 256 });
    try {
      expect(small.maxTensorElements).toBe(256);
      expect(() => small.tensor(new Float32Array(257), [257])).toThrow(TensorTooLargeError);
      const a = small.tensor(new Float32Array(200), [200, 1]);
      expect(() => small.matmul(a, small.tensor(new Float32Array(2), [1, 2]))).toThrow(
        /400 elements exceeds/,
      );
      const q = randomF32(3 * 8, 2);
      const d = randomF32(120 * 8, 3); // 960 elements: does not fit in one tensor
      const got = await searchTopK(small, q, d, 8, 5, { metric: 'dot' });
      const want = topKCpu(scoresCpu(q, d, { Q: 3, N: 120, D: 8 }, 'dot'), 3, 120, 5);
      expect(Array.from(got.indices)).toEqual(Array.from(want.indices));
    } finally {
      small.destroy();
    }
  });

  it('folds dispatches larger than maxComputeWorkgroupsPerDimension into two dimensions', async () => {
    const folded = await makeWebGPU({ maxWorkgroupsPerDimension: 4 });
    try {
      const a = randomF32(40 * 9, 4);
      const b = randomF32(9 * 50, 5); // 3 x 4 = 12 tiles of 16 -> a 4 x 3 grid
      const c = folded.matmul(folded.tensor(a, [40, 9]), folded.tensor(b, [9, 50]));
      assertClose(
        await folded.readF32(c),
        matmulCpu(a, b, { M: 40, K: 9, N: 50 }),
        1e-5,
        1e-5,
        'folded matmul',
      );
      const x = randomF32(7 * 5, 6); // 7 rows = 7 workgroups -> a 4 x 2 grid with one surplus
      assertClose(
        await folded.readF32(folded.l2Normalize(folded.tensor(x, [7, 5]))),
        l2NormalizeCpu(x, 7, 5),
        1e-5,
        1e-6,
        'folded l2',
      );
      const s = randomF32(7 * 40, 8);
      const top = await folded.topK(folded.tensor(s, [7, 40]), 4);
      expect(Array.from(top.indices)).toEqual(Array.from(topKCpu(s, 7, 40, 4).indices));
    } finally {
      folded.destroy();
    }
  });

  it('turns WebGPU validation errors into GpuExecutionError at the next flush', async () => {
    const rt = new GpuRuntime(
      be.device,
      {
        maxTensorElements: 1024,
        maxWorkgroupsPerDimension: 65535,
        maxInvocationsPerWorkgroup: 256,
        maxWorkgroupStorageBytes: 16384,
      },
      new Map(),
    );
    rt.scoped('bad-buffer', () =>
      be.device.createBuffer({ size: 6, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.STORAGE }),
    );
    await expect(rt.flush()).rejects.toThrow(GpuExecutionError);
    await expect(rt.flush()).resolves.toBeUndefined();
  });

  it('marks the backend lost when the device is destroyed and can re-acquire', async () => {
    const victim = await makeWebGPU();
    const t = victim.tensor(Float32Array.of(1, 2, 3), [3]);
    const seen: DeviceLostError[] = [];
    victim.onDeviceLost((e) => seen.push(e));
    victim.device.destroy();
    await victim.device.lost;
    expect(victim.isLost).toBe(true);
    expect(seen).toHaveLength(1);
    expect(seen[0]).toBeInstanceOf(DeviceLostError);
    expect(() => victim.tensor(Float32Array.of(1), [1])).toThrow(DeviceLostError);
    expect(() => victim.l2Normalize(victim.reshape(t, [1, 3]))).toThrow(DeviceLostError);
    await expect(victim.read(t)).rejects.toBeInstanceOf(DeviceLostError);
    await expect(victim.topK(victim.reshape(t, [1, 3]), 1)).rejects.toBeInstanceOf(DeviceLostError);
    const fresh = await victim.reacquire();
    try {
      expect(await fresh.read(fresh.tensor(Float32Array.of(4), [1]))).toEqual(Float32Array.of(4));
    } finally {
      fresh.destroy();
      victim.destroy();
    }
  });

  it('rejects a read that is in flight when the device is lost with DeviceLostError', async () => {
    const victim = await makeWebGPU();
    const t = victim.tensor(randomF32(64, 9), [64]);
    const pending = victim.read(t);
    victim.device.destroy();
    await expect(pending).rejects.toBeInstanceOf(DeviceLostError);
    victim.destroy();
  });

  it('refuses use after destroy() with a typed error', async () => {
    const gone = await makeWebGPU();
    gone.destroy();
    expect(() => gone.tensor(Float32Array.of(1), [1])).toThrow(DeviceLostError);
  });
});
