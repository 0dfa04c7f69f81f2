import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Backend, TopK } from '../core/backend';
import { backendCases, randomF32, rng } from '../testing/backends';
import { mergeTopK, PAD_INDEX, topKCpu, topKPasses } from './topk';

// Tolerance: exact (scores and indices must equal the reference bit for bit).
const LIMITS = { maxInvocationsPerWorkgroup: 256, maxWorkgroupStorageBytes: 32768 };

function fromSet(n: number, seed: number, values: number[]): Float32Array {
  const r = rng(seed);
  return Float32Array.from({ length: n }, () => values[Math.floor(r() * values.length)]);
}

function expectSame(got: TopK, want: TopK): void {
  expect(got.rows).toBe(want.rows);
  expect(got.k).toBe(want.k);
  expect(Array.from(got.indices)).toEqual(Array.from(want.indices));
  expect(Array.from(got.scores)).toEqual(Array.from(want.scores));
}

describe('topKCpu / mergeTopK', () => {
  it('orders by score, ties by lower index, pads short rows', () => {
    const t = topKCpu(Float32Array.of(1, 3, 3, 2, 5, 5), 2, 3, 4);
    expect(Array.from(t.indices)).toEqual([1, 2, 0, PAD_INDEX, 1, 2, 0, PAD_INDEX]);
    expect(Array.from(t.scores)).toEqual([3, 3, 1, -Infinity, 5, 5, 2, -Infinity]);
  });

  it('merging chunk results equals top-k of the whole row', () => {
    const s = fromSet(3 * 40, 4, [0, 1, 2, -1]);
    const whole = topKCpu(s, 3, 40, 9);
    const left = topKCpu(
      Float32Array.from({ length: 3 * 25 }, (_, i) => s[Math.floor(i / 25) * 40 + (i % 25)]),
      3,
      25,
      9,
    );
    const right = topKCpu(
      Float32Array.from({ length: 3 * 15 }, (_, i) => s[Math.floor(i / 15) * 40 + 25 + (i % 15)]),
      3,
      15,
      9,
    );
    expectSame(mergeTopK(left, right, 9, 25), whole);
    expectSame(mergeTopK(right, left, 9, 0), mergeTopK(right, left, 9, 0));
  });

  it('plans merge passes until one list per row remains', () => {
    const passes = topKPasses(2, 5000, 1024, LIMITS);
    expect(passes.map((p) => p.spec.entryPoint)).toEqual(['tile_sort', 'merge', 'merge']);
    expect(passes[passes.length - 1].outEntries).toBe(2 * 1024);
    expect(topKPasses(3, 10, 5, LIMITS).length).toBe(1);
  });
});

describe.each(backendCases())('topK on $name', ({ make }) => {
  let be: Backend;
  beforeAll(async () => {
    be = await make();
  });
  afterAll(() => be?.destroy());

  const cases: [string, number, number, number, (n: number) => Float32Array][] = [
    ['random', 5, 300, 10, (n) => randomF32(n, 1)],
    ['k=1', 3, 1000, 1, (n) => randomF32(n, 2)],
    ['one row', 1, 77, 20, (n) => randomF32(n, 3)],
    ['N<k (padding)', 3, 7, 20, (n) => randomF32(n, 4)],
    ['heavy ties across segments', 4, 3000, 50, (n) => fromSet(n, 5, [0, 0.5, 1])],
    ['all equal', 2, 600, 33, (n) => new Float32Array(n).fill(0.25)],
    ['-Infinity and signed zeros', 2, 40, 30, (n) => fromSet(n, 6, [-Infinity, -0, 0, 1])],
    ['k=1024, several merge passes', 2, 5000, 1024, (n) => fromSet(n, 7, [0, 1, 2, 3, 4, 5, 6, 7])],
  ];
  it.each(cases)('%s (R=%i N=%i k=%i)', async (_name, R, N, k, gen) => {
    const s = gen(R * N);
    const t = be.tensor(s, [R, N]);
    expectSame(await be.topK(t, k), topKCpu(s, R, N, k));
    be.dispose(t);
  });

  it('returns padding for a row of zero columns and rejects a bad k', async () => {
    const t = be.tensor(new Float32Array(0), [2, 0]);
    const r = await be.topK(t, 3);
    expect(Array.from(r.indices)).toEqual(new Array(6).fill(PAD_INDEX));
    await expect(be.topK(t, 0)).rejects.toThrow(RangeError);
    await expect(be.topK(t, 1025)).rejects.toThrow(/1\.\.1024/);
  });
});
