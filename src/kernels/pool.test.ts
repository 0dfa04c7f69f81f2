import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ShapeError, type Backend } from '../core/backend';
import { backendCases, randomF32 } from '../testing/backends';
import { poolCpu } from './pool';

// Tolerance: none; pooling copies values, so every backend must match the reference exactly.

describe('poolCpu', () => {
  const x = Float32Array.of(1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12); // [2,3,2]
  it("'cls' takes token 0; 'last' the last token with mask 1, zeros when none", () => {
    expect([...poolCpu(x, Float32Array.of(1, 1, 0, 0, 0, 0), { B: 2, T: 3, D: 2 }, 'cls')]).toEqual([
      1, 2, 7, 8,
    ]);
    expect([...poolCpu(x, Float32Array.of(1, 1, 0, 0, 0, 0), { B: 2, T: 3, D: 2 }, 'last')]).toEqual([
      3, 4, 0, 0,
    ]);
    expect([...poolCpu(x, Float32Array.of(1, 0, 1, 0, 1, 0), { B: 2, T: 3, D: 2 }, 'last')]).toEqual([
      5, 6, 9, 10,
    ]);
  });
});

describe.each(backendCases())('pool on $name', ({ make }) => {
  let be: Backend;
  beforeAll(async () => {
    be = await make();
  });
  afterAll(() => be?.destroy());

  it.each([
    [1, 1, 1],
    [4, 9, 37],
    [3, 1, 5],
    [2, 130, 65],
  ])('B=%i T=%i D=%i, cls and last, with empty and full rows', async (B, T, D) => {
    const x = randomF32(B * T * D, B + T + D);
    const lens = Array.from({ length: B }, (_, b) => [T, 0, Math.ceil(T / 2), 1][b % 4]);
    const mask = Float32Array.from({ length: B * T }, (_, i) => (i % T < lens[Math.floor(i / T)] ? 1 : 0));
    const [xT, mT] = [be.tensor(x, [B, T, D]), be.tensor(mask, [B, T])];
    for (const mode of ['cls', 'last'] as const) {
      const y = be.pool(xT, mT, mode);
      expect(y.shape).toEqual([B, D]);
      expect([...(await be.readF32(y))]).toEqual([...poolCpu(x, mask, { B, T, D }, mode)]);
    }
  });

  it('rejects a mask of the wrong shape and an unknown mode', () => {
    const x = be.tensor(new Float32Array(12), [2, 3, 2]);
    expect(() => be.pool(x, be.tensor(new Float32Array(6), [3, 2]), 'cls')).toThrow(/mask batch: 3 != 2/);
    expect(() => be.pool(x, be.tensor(new Float32Array(6), [2, 3]), 'mean' as 'cls')).toThrow(ShapeError);
  });
});
