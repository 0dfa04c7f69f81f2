import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Backend } from '../core/backend';
import { assertClose, backendCases, randomF32 } from '../testing/backends';
import { linearBackwardCpu } from './grad-linear';
import { linearCpu } from './linear';
import { dequantQ8, packQ8, quantizeQ8, unpackQ8 } from './q8';

// linear with int8 weights per stored row (backend.tensorQ8, shaders/lib/linear_weights_q8.wgsl) against
// linearCpu on the dequantised weights (kernels/q8.ts). Tolerance as linear.test.ts:
// |got - ref| <= 1e-5 * |ref| + 1e-5: the q8 program computes in f32 on exactly the values dequantQ8 gives.
const RTOL = 1e-5;
const ATOL = 1e-5;

describe('q8 quantisation (CPU reference)', () => {
  it('is symmetric per row: scale max|w|/127, values in [-127, 127], error at most half a step', () => {
    const [rows, cols] = [7, 33];
    const w = randomF32(rows * cols, 5, -3, 3);
    w.fill(0, 2 * cols, 3 * cols); // an all-zero row: scale 0, dequantised zeros
    const q = quantizeQ8(w, rows, cols);
    const d = dequantQ8(q, cols);
    for (let r = 0; r < rows; r++) {
      const row = w.subarray(r * cols, (r + 1) * cols);
      const max = Math.max(...row.map(Math.abs));
      expect(q.scales[r]).toBeCloseTo(max / 127, 7);
      for (let c = 0; c < cols; c++) {
        expect(Math.abs(q.q[r * cols + c])).toBeLessThanOrEqual(127);
        expect(Math.abs(d[r * cols + c] - row[c])).toBeLessThanOrEqual(q.scales[r] / 2 + 1e-7);
      }
    }
    expect([...d.subarray(2 * cols, 3 * cols)].every((v) => v === 0)).toBe(true);
    expect(unpackQ8(packQ8(q), rows, cols)).toEqual(d);
    expect(() => quantizeQ8(Float32Array.of(1, NaN), 1, 2)).toThrow(/element 1 \(NaN\) is not finite/);
  });
});

describe.each(backendCases())('linear with q8 weights on $name', ({ make }) => {
  let be: Backend;
  beforeAll(async () => {
    be = await make();
  });
  afterAll(() => be?.destroy());

  const cases: [number[], number, number][] = [
    [[1], 1, 1],
    [[2, 3], 37, 70],
    [[5], 130, 3],
    [[3, 1], 17, 129],
    [[2, 9], 33, 20],
  ];
  it.each(cases)(
    'lead=%j K=%i N=%i, nk weights, with and without bias; dx of the backward',
    async (lead, K, N) => {
      const M = lead.reduce((a, b) => a * b, 1);
      const x = randomF32(M * K, M * 37 + K);
      const w = randomF32(N * K, K * 19 + N, -2, 2); // [N, K]
      const bias = randomF32(N, N + 3);
      const deq = dequantQ8(quantizeQ8(w, N, K), K);
      if (K * N > 1) expect(deq).not.toEqual(w);
      const xT = be.tensor(x, [...lead, K]);
      const bT = be.tensor(bias, [N]);
      const wT = be.tensorQ8(w, [N, K]);
      expect(wT.dtype).toBe('q8');
      expect([...(await be.read(wT))]).toEqual([...deq]);
      for (const withBias of [false, true]) {
        const y = be.linear(xT, wT, withBias ? bT : null, 'nk');
        expect(y.shape).toEqual([...lead, N]);
        const want = linearCpu(x, deq, withBias ? bias : null, { M, K, N }, 'nk');
        assertClose(await be.readF32(y), want, RTOL, ATOL, `linear q8 bias=${withBias}`);
        be.dispose(y);
      }
      // frozen q8 base weight in training: dx = dy · W through the q8 kernel read in the other layout
      const dy = randomF32(M * N, 11);
      const dyT = be.tensor(dy, [...lead, N]);
      const g = be.linearBackward(xT, wT, dyT, 'nk', true);
      const ref = linearBackwardCpu(x, deq, dy, { M, K, N }, 'nk', true);
      assertClose(await be.readF32(g.dx!), ref.dx!, RTOL, ATOL, 'linearBackward dx, q8 w');
      // the Linear source's backward (nn/linear.ts) runs linear with the other layout
      const dx2 = be.linear(dyT, wT, null, 'kn');
      assertClose(await be.readF32(dx2), ref.dx!, RTOL, ATOL, 'linear kn over q8 [N,K] = dy·W');
      be.dispose(xT, bT, wT, dyT, g.dw, g.db, g.dx!, dx2);
    },
  );

  it('rejects bad input: not a matrix, non-finite values, q8 where f32 is required', () => {
    expect(() => be.tensorQ8(new Float32Array(4), [4])).toThrow(/a matrix \[rows, cols\] is needed/);
    expect(() => be.tensorQ8(Float32Array.of(1, Infinity), [1, 2])).toThrow(RangeError);
    const w = be.tensorQ8(new Float32Array(6), [2, 3]);
    expect(() => be.add(w, w)).toThrow(/must be f32, got q8/);
    expect(() => be.linear(w, w, null, 'nk')).toThrow(/x must be f32, got q8/);
    be.dispose(w);
  });
});
