import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Backend } from '../core/backend';
import { assertClose, backendCases, randomF32, rng } from '../testing/backends';
import { maskedMeanPoolCpu } from './meanpool';

// Tolerance: |got - ref| <= 1e-5 * |ref| + 1e-6 (inputs in [-1, 1), T <= 40).
const RTOL = 1e-5;
const ATOL = 1e-6;

function mask01(B: number, T: number, seed: number): Float32Array {
  const r = rng(seed);
  return Float32Array.from({ length: B * T }, () => (r() < 0.6 ? 1 : 0));
}

describe('maskedMeanPoolCpu', () => {
  it('averages only masked positions', () => {
    const x = Float32Array.of(1, 10, 3, 30, 100, 1000); // [1,3,2]
    expect([...maskedMeanPoolCpu(x, Float32Array.of(1, 1, 0), { B: 1, T: 3, D: 2 })]).toEqual([2, 20]);
  });
});

describe.each(backendCases())('maskedMeanPool on $name', ({ make }) => {
  let be: Backend;
  beforeAll(async () => {
    be = await make();
  });
  afterAll(() => be?.destroy());

  it.each([
    [1, 1, 1],
    [2, 5, 3],
    [3, 17, 65],
    [4, 40, 8],
  ])('B=%i T=%i D=%i with a 0/1 mask', async (B, T, D) => {
    const x = randomF32(B * T * D, B + T * 10 + D * 100);
    const m = mask01(B, T, B * T + D);
    m[0] = 1;
    const xt = be.tensor(x, [B, T, D]);
    const mt = be.tensor(m, [B, T]);
    const y = be.maskedMeanPool(xt, mt);
    expect(y.shape).toEqual([B, D]);
    assertClose(await be.readF32(y), maskedMeanPoolCpu(x, m, { B, T, D }), RTOL, ATOL, 'meanpool');
    be.dispose(xt, mt, y);
  });

  it('gives zeros for an all-zero mask row and honours fractional weights', async () => {
    const B = 2;
    const T = 3;
    const D = 4;
    const x = randomF32(B * T * D, 99);
    const m = Float32Array.of(0, 0, 0, 0.25, 0.5, 0.25);
    const y = await be.readF32(be.maskedMeanPool(be.tensor(x, [B, T, D]), be.tensor(m, [B, T])));
    expect([...y.subarray(0, D)]).toEqual([0, 0, 0, 0]);
    assertClose(y, maskedMeanPoolCpu(x, m, { B, T, D }), RTOL, ATOL, 'meanpool-weights');
  });

  it('rejects a mask of the wrong shape', () => {
    const x = be.tensor(new Float32Array(2 * 3 * 4), [2, 3, 4]);
    expect(() => be.maskedMeanPool(x, be.tensor(new Float32Array(8), [2, 4]))).toThrow(/mask length/);
    expect(() => be.maskedMeanPool(x, be.tensor(new Float32Array(3), [1, 3]))).toThrow(/mask batch/);
  });
});
