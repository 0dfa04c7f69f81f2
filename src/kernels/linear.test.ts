import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ShapeError, type Backend } from '../core/backend';
import { assertClose, backendCases, randomF32, randomInts } from '../testing/backends';
import { linearCpu, linearProgram, linearRowsWorkgroup } from './linear';

// Tolerance: |got - ref| <= 1e-5 * |ref| + 1e-5 for inputs in [-1, 1), K <= 130 (reference: f64 sums);
// small-integer inputs are exact in f32 on every backend, so those must match bit for bit.
const RTOL = 1e-5;
const ATOL = 1e-5;

function transpose(w: Float32Array, rows: number, cols: number): Float32Array {
  const t = new Float32Array(w.length);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) t[c * rows + r] = w[r * cols + c];
  return t;
}

describe('linearCpu', () => {
  it('computes a hand-worked product in both layouts, with bias', () => {
    const x = Float32Array.of(1, 1, 2, -1); // [2,2]
    const wkn = Float32Array.of(1, 2, 3, 4, 5, 6); // [K=2, N=3]
    const want = [5, 7, 9, -2, -1, 0];
    expect([...linearCpu(x, wkn, null, { M: 2, K: 2, N: 3 }, 'kn')]).toEqual(want);
    expect([...linearCpu(x, transpose(wkn, 2, 3), null, { M: 2, K: 2, N: 3 }, 'nk')]).toEqual(want);
    const bias = Float32Array.of(10, 20, 30);
    expect([...linearCpu(x, wkn, bias, { M: 2, K: 2, N: 3 }, 'kn')]).toEqual([15, 27, 39, 8, 19, 30]);
  });
});

describe('linear program: the workgroup follows the rows', () => {
  it('covers M rows with the fewest 4-row tiles up to the square side', () => {
    expect([1, 4, 5, 8, 9, 16, 17, 32, 33, 64, 65, 1000].map((m) => linearRowsWorkgroup(16, m))).toEqual([
      1, 1, 2, 2, 4, 4, 8, 8, 16, 16, 16, 16,
    ]);
    expect(linearRowsWorkgroup(8, 100)).toBe(8);
    const limits = { maxInvocationsPerWorkgroup: 256, maxWorkgroupStorageBytes: 32768 } as never;
    // one text of 11 tokens against a 384-wide layer: 6 blocks of 16 x 64, not 6 of 64 x 64
    const one = linearProgram({ M: 11, K: 384, N: 384 }, 'nk', true, limits);
    expect(one.overrides).toMatchObject({ WG: 16, WGY: 4 });
    expect(one.workgroups).toBe(6);
    const many = linearProgram({ M: 352, K: 384, N: 384 }, 'nk', true, limits);
    expect(many.overrides).toMatchObject({ WG: 16, WGY: 16 });
    expect(many.workgroups).toBe(6 * 6);
  });
});

describe.each(backendCases())('linear on $name', ({ make }) => {
  let be: Backend;
  beforeAll(async () => {
    be = await make();
  });
  afterAll(() => be?.destroy());

  const cases: [number[], number, number][] = [
    [[1], 1, 1],
    [[2, 3], 37, 70],
    [[65], 64, 64],
    [[5], 130, 3],
    [[3, 1], 17, 129],
    [[4], 0, 6],
    // the row side of the workgroup follows M: 1, 2 (above), 4 and 8 rows of threads here
    [[11], 40, 70],
    [[2, 9], 33, 20],
  ];
  it.each(cases)('lead=%j K=%i N=%i, both layouts, with and without bias', async (lead, K, N) => {
    const M = lead.reduce((a, b) => a * b, 1);
    const x = randomF32(M * K, M * 31 + K);
    const w = randomF32(K * N, K * 17 + N);
    const bias = randomF32(N, N + 5);
    const xT = be.tensor(x, [...lead, K]);
    const bT = be.tensor(bias, [N]);
    for (const layout of ['kn', 'nk'] as const) {
      const wData = layout === 'kn' ? w : transpose(w, K, N);
      const wT = be.tensor(wData, layout === 'kn' ? [K, N] : [N, K]);
      for (const withBias of [false, true]) {
        const y = be.linear(xT, wT, withBias ? bT : null, layout);
        expect(y.shape).toEqual([...lead, N]);
        const want = linearCpu(x, w, withBias ? bias : null, { M, K, N }, 'kn');
        assertClose(await be.readF32(y), want, RTOL, ATOL, `linear ${layout} bias=${withBias}`);
        be.dispose(y);
      }
      be.dispose(wT);
    }
    be.dispose(xT, bT);
  });

  it('is exact on small integers (M=70, K=45, N=33)', async () => {
    const [M, K, N] = [70, 45, 33];
    const x = randomInts(M * K, 1);
    const w = randomInts(N * K, 2);
    const bias = randomInts(N, 3);
    const y = be.linear(be.tensor(x, [M, K]), be.tensor(w, [N, K]), be.tensor(bias, [N]), 'nk');
    expect([...(await be.readF32(y))]).toEqual([...linearCpu(x, w, bias, { M, K, N }, 'nk')]);
  });

  it('rejects mismatched shapes with a ShapeError', () => {
    const x = be.tensor(new Float32Array(6), [2, 3]);
    const w = be.tensor(new Float32Array(12), [3, 4]);
    expect(() => be.linear(x, w, null, 'nk')).toThrow(/inner dimension.*4 != 3/);
    expect(() => be.linear(x, w, be.tensor(new Float32Array(3), [3]), 'kn')).toThrow(ShapeError);
    expect(() => be.linear(x, w, null, 'xy' as 'kn')).toThrow(/layout/);
    expect(() => be.linear(x, be.tensor(new Float32Array(3), [3]), null, 'kn')).toThrow(/rank 2/);
  });
});
