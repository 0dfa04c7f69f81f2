import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Backend } from '../core/backend';
import { assertClose, backendCases, randomF32 } from '../testing/backends';
import { l2NormalizeCpu } from './l2norm';

// Tolerance: |got - ref| <= 1e-5 * |ref| + 1e-6 (outputs are unit-vector entries; the GPU reduces as a tree).
const RTOL = 1e-5;
const ATOL = 1e-6;

describe('l2NormalizeCpu', () => {
  it('normalises rows and leaves zero rows at zero', () => {
    expect([...l2NormalizeCpu(Float32Array.of(3, 4, 0, 0), 2, 2)]).toEqual([0.6, 0.8, 0, 0].map(Math.fround));
  });
});

describe.each(backendCases())('l2Normalize on $name', ({ make }) => {
  let be: Backend;
  beforeAll(async () => {
    be = await make();
  });
  afterAll(() => be?.destroy());

  it.each([
    [1, 1],
    [1, 300],
    [7, 5],
    [4, 257],
    [33, 64],
  ])('rows=%i dim=%i', async (rows, dim) => {
    const x = randomF32(rows * dim, rows * 7 + dim, -5, 5);
    const t = be.tensor(x, [rows, dim]);
    const y = be.l2Normalize(t);
    expect(y.shape).toEqual([rows, dim]);
    assertClose(await be.readF32(y), l2NormalizeCpu(x, rows, dim), RTOL, ATOL, 'l2norm');
    be.dispose(t, y);
  });

  it('keeps zero rows zero and normalises tiny rows by the 1e-12 floor', async () => {
    const x = new Float32Array(3 * 4);
    x.set([1e-14, 0, 0, 0], 4); // norm below the 1e-12 floor: divided by 1e-12, not renormalised
    x.set([2, 2, 2, 2], 8);
    const t = be.tensor(x, [3, 4]);
    const got = await be.readF32(be.l2Normalize(t));
    assertClose(got, l2NormalizeCpu(x, 3, 4), RTOL, ATOL, 'l2norm-edge');
    expect([...got.subarray(0, 4)]).toEqual([0, 0, 0, 0]);
    expect(got[4]).toBeCloseTo(0.01, 6);
    expect(Array.from(got.subarray(8))).toEqual([0.5, 0.5, 0.5, 0.5]);
  });

  it('rejects non-matrices and u32 input', () => {
    expect(() => be.l2Normalize(be.tensor(new Float32Array(4), [4]))).toThrow(/rank 2/);
    expect(() => be.l2Normalize(be.tensor(new Uint32Array(4), [2, 2]))).toThrow(/must be f32/);
  });
});
