import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ShapeError, type Backend } from '../core/backend';
import { assertClose, backendCases, randomF32, randomInts } from '../testing/backends';
import { roundF16Array } from './f16';
import { linearCpu } from './linear';

// linear with f16 weights (backend.tensorF16) against linearCpu on the f16-rounded weights.
// Tolerance as linear.test.ts: |got - ref| <= 1e-5 * |ref| + 1e-5 (the f16 path computes in f32, so the
// only difference from the f32 kernel is the weights' rounding, which the reference reproduces).
const RTOL = 1e-5;
const ATOL = 1e-5;

function transpose(w: Float32Array, rows: number, cols: number): Float32Array {
  const t = new Float32Array(w.length);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) t[c * rows + r] = w[r * cols + c];
  return t;
}

describe.each(backendCases())('linear with f16 weights on $name', ({ make }) => {
  let be: Backend;
  beforeAll(async () => {
    be = await make();
  });
  afterAll(() => be?.destroy());

  const cases: [number[], number, number, number][] = [
    [[1], 1, 1, 1],
    [[2, 3], 37, 70, 1],
    [[5], 130, 3, 8],
    [[3, 1], 17, 129, 100],
    [[4], 0, 6, 1],
    [[11], 40, 70, 4],
  ];
  it.each(cases)(
    'lead=%j K=%i N=%i |w|<%i, both layouts, with and without bias',
    async (lead, K, N, range) => {
      const M = lead.reduce((a, b) => a * b, 1);
      const x = randomF32(M * K, M * 37 + K);
      const w = randomF32(K * N, K * 19 + N, -range, range);
      const bias = randomF32(N, N + 3);
      const wr = roundF16Array(w);
      if (K * N > 1) expect(wr).not.toEqual(w); // the rounding is visible, so the comparison below can tell
      const xT = be.tensor(x, [...lead, K]);
      const bT = be.tensor(bias, [N]);
      for (const layout of ['kn', 'nk'] as const) {
        const wT = be.tensorF16(layout === 'kn' ? w : transpose(w, K, N), layout === 'kn' ? [K, N] : [N, K]);
        expect(wT.dtype).toBe('f16');
        for (const withBias of [false, true]) {
          const y = be.linear(xT, wT, withBias ? bT : null, layout);
          expect(y.shape).toEqual([...lead, N]);
          expect(y.dtype).toBe('f32');
          const want = linearCpu(x, wr, withBias ? bias : null, { M, K, N }, 'kn');
          assertClose(await be.readF32(y), want, RTOL, ATOL, `linear f16 ${layout} bias=${withBias}`);
          be.dispose(y);
        }
        be.dispose(wT);
      }
      be.dispose(xT, bT);
    },
  );

  it('is exact on small integers (halves hold them exactly): equals the f32-weight result bit for bit', async () => {
    const [M, K, N] = [33, 21, 19];
    const x = randomInts(M * K, 4);
    const w = randomInts(N * K, 5, -50, 50);
    const xT = be.tensor(x, [M, K]);
    const y16 = be.linear(xT, be.tensorF16(w, [N, K]), null, 'nk');
    const y32 = be.linear(xT, be.tensor(w, [N, K]), null, 'nk');
    const want = [...linearCpu(x, w, null, { M, K, N }, 'nk')];
    expect([...(await be.readF32(y16))]).toEqual(want);
    expect([...(await be.readF32(y32))]).toEqual(want);
  });

  it('stores the rounded values: read gives them as f32, reshape keeps f16, odd sizes work', async () => {
    const data = Float32Array.of(0.1, -65504, 2 ** -24, 1 + 2 ** -11, 3, 1e-9, 1 / 3);
    const t = be.tensorF16(data, [7, 1]);
    expect(t.size).toBe(7);
    const got = await be.read(t);
    expect(got).toBeInstanceOf(Float32Array);
    expect([...got]).toEqual([0.0999755859375, -65504, 2 ** -24, 1, 3, 0, 0.333251953125]);
    const r = be.reshape(t, [1, 7]);
    expect(r.dtype).toBe('f16');
    expect([...(await be.read(r))]).toEqual([...got]);
    expect((await be.read(be.tensorF16(new Float32Array(0), [0, 4]))).length).toBe(0);
  });

  it('rejects bad input: values not finite as halves, wrong shapes, f16 where f32 is required', () => {
    expect(() => be.tensorF16(Float32Array.of(1, 70000), [2])).toThrow(
      /element 1 \(70000\) is not finite as f16/,
    );
    expect(() => be.tensorF16(Float32Array.of(NaN), [1])).toThrow(RangeError);
    expect(() => be.tensorF16(new Float32Array(5), [2, 3])).toThrow(ShapeError);
    const w = be.tensorF16(new Float32Array(6), [2, 3]);
    const x = be.tensor(new Float32Array(4), [2, 2]);
    expect(() => be.linear(x, w, null, 'nk')).toThrow(/inner dimension.*3 != 2/);
    expect(() => be.linear(w, be.tensor(new Float32Array(9), [3, 3]), null, 'kn')).toThrow(
      /x must be f32, got f16/,
    );
    expect(() => be.linear(x, w, be.tensorF16(new Float32Array(3), [3]), 'kn')).toThrow(
      /bias must be f32, got f16/,
    );
    expect(() => be.add(w, w)).toThrow(/must be f32, got f16/);
    expect(() => be.matmul(x, w)).toThrow(/must be f32, got f16/);
    // frozen f16 base weights are allowed in training: dx runs through the f16 kernel, dw comes back f32
    const g = be.linearBackward(x, w, be.tensor(new Float32Array(6), [2, 3]), 'kn', true);
    expect(g.dw.dtype).toBe('f32');
    expect(g.dw.shape).toEqual([2, 3]);
    expect(g.dx?.shape).toEqual([2, 2]);
    return expect(be.readF32(w)).rejects.toThrow(/tensor is f16/);
  });
});
