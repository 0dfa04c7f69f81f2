import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Backend } from '../core/backend';
import { assertClose, backendCases, randomF32 } from '../testing/backends';
import { matmulCpu } from './matmul';

// Tolerance: |got - ref| <= 1e-5 * |ref| + 1e-5 for inputs in [-1, 1) (the reference accumulates in f64).
const RTOL = 1e-5;
const ATOL = 1e-5;

describe('matmulCpu', () => {
  it('computes a known product and its transposed-B form', () => {
    const a = Float32Array.of(1, 2, 3, 4, 5, 6); // [2,3]
    const b = Float32Array.of(7, 8, 9, 10, 11, 12); // [3,2]
    expect([...matmulCpu(a, b, { M: 2, K: 3, N: 2 })]).toEqual([58, 64, 139, 154]);
    const bt = Float32Array.of(7, 9, 11, 8, 10, 12); // [2,3] = b^T
    expect([...matmulCpu(a, bt, { M: 2, K: 3, N: 2 }, true)]).toEqual([58, 64, 139, 154]);
  });
});

describe.each(backendCases())('matmul on $name', ({ make }) => {
  let be: Backend;
  beforeAll(async () => {
    be = await make();
  });
  afterAll(() => be?.destroy());

  const shapes: [number, number, number][] = [
    [1, 1, 1],
    [1, 7, 5],
    [17, 33, 19],
    [32, 16, 48],
    [5, 70, 3],
    [3, 0, 4],
  ];
  it.each(shapes)('M=%i K=%i N=%i, plain and transposeB', async (M, K, N) => {
    const a = randomF32(M * K, M * 1000 + K);
    const b = randomF32(K * N, K * 1000 + N + 7);
    const aT = be.tensor(a, [M, K]);
    const bT = be.tensor(b, [K, N]);
    const c = be.matmul(aT, bT);
    expect(c.shape).toEqual([M, N]);
    assertClose(await be.readF32(c), matmulCpu(a, b, { M, K, N }), RTOL, ATOL, 'matmul');
    const btData = randomF32(N * K, N * 31 + K);
    const bt = be.tensor(btData, [N, K]);
    const ct = be.matmul(aT, bt, { transposeB: true });
    assertClose(await be.readF32(ct), matmulCpu(a, btData, { M, K, N }, true), RTOL, ATOL, 'matmul^T');
    be.dispose(aT, bT, c, bt, ct);
  });

  it('rejects mismatched inner dimensions and wrong ranks', () => {
    const a = be.tensor(new Float32Array(6), [2, 3]);
    const b = be.tensor(new Float32Array(8), [4, 2]);
    expect(() => be.matmul(a, b)).toThrow(/matmul: inner dimensions/);
    expect(() => be.matmul(a, b, { transposeB: true })).toThrow(/ShapeError|inner dimensions/);
    const v = be.tensor(new Float32Array(3), [3]);
    expect(() => be.matmul(v, b)).toThrow(/rank 2/);
    be.dispose(a, b, v);
  });
});
