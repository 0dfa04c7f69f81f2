import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Backend } from '../core/backend';
import { assertClose, backendCases, randomF32, rng } from '../testing/backends';
import { gatherCpu } from './gather';
import { gatherMeanPoolCpu } from './gather-pool';
import { maskedMeanPoolCpu } from './meanpool';

// GPU tolerance: |got - ref| <= 1e-5 * |ref| + 1e-6 (table in [-1, 1), T <= 40); CPU: identical.
const RTOL = 1e-5;
const ATOL = 1e-6;

function inputs(V: number, B: number, T: number, D: number, seed: number) {
  const r = rng(seed);
  const table = randomF32(V * D, seed);
  const ids = Uint32Array.from({ length: B * T }, () => Math.floor(r() * V));
  // SIF-like weights, with padding (0) at the end of some rows
  const mask = Float32Array.from({ length: B * T }, (_, i) =>
    i % T < T - (Math.floor(i / T) % 3) ? r() : 0,
  );
  return { table, ids, mask };
}

describe('gatherMeanPoolCpu', () => {
  it('equals maskedMeanPool over gathered rows, bit for bit', () => {
    const [V, B, T, D] = [50, 4, 9, 13];
    const { table, ids, mask } = inputs(V, B, T, D, 3);
    const want = maskedMeanPoolCpu(gatherCpu(table, ids, V, D), mask, { B, T, D });
    expect(gatherMeanPoolCpu(table, ids, mask, { V, B, T, D })).toEqual(want);
  });
});

describe.each(backendCases())('gatherMeanPool on $name', ({ make }) => {
  let be: Backend;
  beforeAll(async () => {
    be = await make();
  });
  afterAll(() => be?.destroy());

  it.each([
    [7, 1, 1, 1],
    [30, 3, 17, 65],
    [100, 4, 40, 8],
    [5, 2, 0, 4],
  ])('V=%i B=%i T=%i D=%i', async (V, B, T, D) => {
    const { table, ids, mask } = inputs(V, B, T, D, V + B + T + D);
    const y = be.gatherMeanPool(be.tensor(table, [V, D]), be.tensor(ids, [B * T]), be.tensor(mask, [B, T]));
    expect(y.shape).toEqual([B, D]);
    const want = gatherMeanPoolCpu(table, ids, mask, { V, B, T, D });
    assertClose(await be.readF32(y), want, RTOL, ATOL);
  });

  it('names a bad id and a mismatched mask', () => {
    const table = be.tensor(new Float32Array(8), [4, 2]);
    const mask = be.tensor(Float32Array.of(1, 1), [1, 2]);
    expect(() => be.gatherMeanPool(table, be.tensor(Uint32Array.of(1, 4), [2]), mask)).toThrow(
      /id 4 at position 1 is outside the table of 4 rows/,
    );
    expect(() => be.gatherMeanPool(table, be.tensor(Uint32Array.of(1, 2, 3), [3]), mask)).toThrow(
      /gatherMeanPool/,
    );
  });
});
