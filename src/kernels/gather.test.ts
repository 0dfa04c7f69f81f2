import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Backend } from '../core/backend';
import { backendCases, randomF32, rng } from '../testing/backends';
import { gatherCpu } from './gather';

// Tolerance: exact (gather copies values).
describe.each(backendCases())('gather on $name', ({ make }) => {
  let be: Backend;
  beforeAll(async () => {
    be = await make();
  });
  afterAll(() => be?.destroy());

  it.each([
    [1, 1, 1],
    [10, 3, 7],
    [50, 100, 65],
  ])('V=%i D=%i N=%i', async (V, D, N) => {
    const table = randomF32(V * D, V + D);
    const r = rng(N);
    const ids = Uint32Array.from({ length: N }, () => Math.floor(r() * V));
    ids[0] = V - 1;
    const y = be.gather(be.tensor(table, [V, D]), be.tensor(ids, [N]));
    expect(y.shape).toEqual([N, D]);
    expect(await be.readF32(y)).toEqual(gatherCpu(table, ids, V, D));
  });

  it('throws a RangeError naming an out-of-range id before any work', () => {
    const table = be.tensor(new Float32Array(6), [3, 2]);
    expect(() => be.gather(table, be.tensor(Uint32Array.of(0, 3), [2]))).toThrow(/id 3 at position 1/);
  });

  it('requires u32 ids and an f32 table', () => {
    const table = be.tensor(new Float32Array(6), [3, 2]);
    expect(() => be.gather(table, be.tensor(Float32Array.of(0), [1]))).toThrow(/ids must be u32/);
  });

  it('gathers then reshapes into [B,T,D] sharing storage', async () => {
    const table = randomF32(8 * 2, 5);
    const ids = Uint32Array.of(1, 2, 3, 4, 5, 6);
    const g = be.gather(be.tensor(table, [8, 2]), be.tensor(ids, [6]));
    const x = be.reshape(g, [2, 3, 2]);
    expect(x.shape).toEqual([2, 3, 2]);
    expect(await be.readF32(x)).toEqual(gatherCpu(table, ids, 8, 2));
    expect(() => be.reshape(g, [5, 2])).toThrow(/holds 10 elements but data has 12/);
    be.dispose(x);
    await expect(be.read(g)).rejects.toThrow(/disposed/);
  });
});
