import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ShapeError, type Backend } from '../core/backend';
import { backendCases, randomF32 } from '../testing/backends';
import { mergeMixCpu } from './merge-mix';

// Tolerance: exact for the hand-worked and eighth-multiple cases (every product and sum is exact in f32);
// 2e-6 absolute for random values in [-1, 1] with K ≤ 4 (the GPU sums in f32, the CPU in f64).

const stack = (xs: Float32Array[]) => {
  const out = new Float32Array(xs.reduce((a, x) => a + x.length, 0));
  xs.forEach((x, k) => out.set(x, k * xs[0].length));
  return out;
};

describe('mergeMix CPU reference (hand-worked)', () => {
  const base = Float32Array.of(0, 0, 0, 0);
  const d = [Float32Array.of(3, -1, 0, 2), Float32Array.of(-1, 2, 0, -2)];
  it('election: Σ w·δ = [5,0,0,2] → all +; kept e1@0,3 and e2@1; zero entries agree with neither', () => {
    expect([...mergeMixCpu(base, d, [2, 1], { consensus: true, normalize: true, lambda: 1 })]).toEqual([
      3, 2, 0, 2,
    ]);
    expect([...mergeMixCpu(base, d, [2, 1], { consensus: true, normalize: false, lambda: 0.5 })]).toEqual([
      3, 1, 0, 2,
    ]);
  });
  it('no election: Σ w·δ / Σ w, Σ w near 0 → 1', () => {
    expect([...mergeMixCpu(base, d, [2, 1], { consensus: false, normalize: true, lambda: 1 })]).toEqual([
      ...Float32Array.of(5 / 3, 0, 0, 2 / 3),
    ]);
    expect([...mergeMixCpu(base, d, [1, -1], { consensus: false, normalize: true, lambda: 1 })]).toEqual([
      4, -3, 0, 4,
    ]);
  });
});

describe.each(backendCases())('mergeMix on $name', ({ make }) => {
  let be: Backend;
  beforeAll(async () => {
    be = await make();
  });
  afterAll(() => be?.destroy());

  const cases = [
    { consensus: true, normalize: true, lambda: 1 },
    { consensus: true, normalize: false, lambda: 0.75 },
    { consensus: false, normalize: true, lambda: 1 },
    { consensus: false, normalize: false, lambda: 2 },
  ];

  it.each(cases)('sign ties, zero weights, zero deltas exactly: %j', async (opts) => {
    const base = Float32Array.of(1, 2, 3, 4, 5);
    const d = [
      Float32Array.of(0.5, -1, 0, 0, 2),
      Float32Array.of(-0.5, 1, 0, 0.25, -2),
      Float32Array.of(1, 1, 0, -0.25, 1),
    ];
    for (const w of [
      [1, 1, 0],
      [0.5, 0.5, 0],
      [0, 0, 0],
      [1, -1, 0.5],
    ]) {
      const got = be.mergeMix(
        be.tensor(base, [5]),
        be.tensor(stack(d), [3, 5]),
        be.tensor(Float32Array.from(w), [3]),
        opts,
      );
      expect([...(await be.readF32(got))]).toEqual([...mergeMixCpu(base, d, w, opts)]);
    }
  });

  it.each([[[7]], [[3, 37]], [[2, 300]]])(
    'random tensors of shape %j match the CPU reference to 2e-6',
    async (shape) => {
      const n = shape.reduce((a, b) => a * b, 1);
      for (const [ci, opts] of cases.entries()) {
        const K = 1 + (ci % 4);
        const base = randomF32(n, n + ci, -1, 1);
        const d = Array.from({ length: K }, (_, k) => randomF32(n, 100 * k + n + ci, -1, 1));
        const w = randomF32(K, 7 + ci, -0.5, 1);
        const got = await be.readF32(
          be.mergeMix(be.tensor(base, shape), be.tensor(stack(d), [K, ...shape]), be.tensor(w, [K]), opts),
        );
        const want = mergeMixCpu(base, d, w, opts);
        for (let i = 0; i < n; i++) expect(Math.abs(got[i] - want[i])).toBeLessThan(2e-6);
      }
    },
  );

  it('rejects mismatched shapes and a non-finite lambda', () => {
    const b = be.tensor(new Float32Array(4), [4]);
    const w = be.tensor(new Float32Array(2), [2]);
    const opts = { consensus: true, normalize: true, lambda: 1 };
    expect(() => be.mergeMix(b, be.tensor(new Float32Array(6), [2, 3]), w, opts)).toThrow(ShapeError);
    expect(() =>
      be.mergeMix(b, be.tensor(new Float32Array(8), [2, 4]), be.tensor(new Float32Array(4), [2, 2]), opts),
    ).toThrow(/weights must be a vector/);
    expect(() => be.mergeMix(b, be.tensor(new Float32Array(8), [2, 4]), w, { ...opts, lambda: NaN })).toThrow(
      /finite/,
    );
  });
});
