import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Backend, Metric } from '../core/backend';
import { assertClose, backendCases, randomF32 } from '../testing/backends';
import { l2NormalizeCpu } from './l2norm';
import { matmulCpu } from './matmul';
import { scoresCpu } from './scores';

// Tolerance: |got - ref| <= 1e-5 * |ref| + 1e-5 (inputs in [-1, 1), D <= 100).
const RTOL = 1e-5;
const ATOL = 1e-5;

describe('scoresCpu', () => {
  it('cosine equals the dot product of l2-normalised rows', () => {
    const q = randomF32(3 * 5, 1);
    const d = randomF32(4 * 5, 2);
    const want = matmulCpu(l2NormalizeCpu(q, 3, 5), l2NormalizeCpu(d, 4, 5), { M: 3, K: 5, N: 4 }, true);
    assertClose(scoresCpu(q, d, { Q: 3, N: 4, D: 5 }, 'cosine'), want, 1e-6, 1e-6, 'cos');
  });
});

describe.each(backendCases())('scores on $name', ({ make }) => {
  let be: Backend;
  beforeAll(async () => {
    be = await make();
  });
  afterAll(() => be?.destroy());

  const cases: [number, number, number, Metric][] = [
    [1, 1, 1, 'dot'],
    [1, 37, 8, 'cosine'],
    [5, 17, 33, 'dot'],
    [20, 45, 100, 'cosine'],
  ];
  it.each(cases)('Q=%i N=%i D=%i %s', async (Q, N, D, metric) => {
    const q = randomF32(Q * D, Q * 3 + D);
    const d = randomF32(N * D, N * 5 + D);
    const s = be.scores(be.tensor(q, [Q, D]), be.tensor(d, [N, D]), metric);
    expect(s.shape).toEqual([Q, N]);
    assertClose(await be.readF32(s), scoresCpu(q, d, { Q, N, D }, metric), RTOL, ATOL, metric);
  });

  it('cosine with a zero row gives 0, not NaN', async () => {
    const q = Float32Array.of(0, 0, 1, 1);
    const d = Float32Array.of(1, 0, 0, 0, 3, 4);
    const got = await be.readF32(be.scores(be.tensor(q, [2, 2]), be.tensor(d, [3, 2]), 'cosine'));
    assertClose(got, Float32Array.of(0, 0, 0, Math.SQRT1_2, 0, 0.7 * Math.SQRT2), RTOL, 1e-6, 'zero-row');
  });

  it('rejects a dimension mismatch', () => {
    expect(() =>
      be.scores(be.tensor(new Float32Array(6), [2, 3]), be.tensor(new Float32Array(8), [2, 4]), 'dot'),
    ).toThrow(/embedding dimension/);
  });
});
