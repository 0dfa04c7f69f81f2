import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ShapeError, type Backend } from '../core/backend';
import { assertClose, backendCases, randomF32 } from '../testing/backends';
import { layerNormCpu, rmsNormCpu } from './layernorm';

// Tolerance: |got - ref| <= 1e-5 * |ref| + 1e-5 (outputs are O(1..3); the GPU reduces as a tree in f32).
const RTOL = 1e-5;
const ATOL = 1e-5;

describe('norm CPU references', () => {
  it('layerNorm of [1,2,3,4]: mean 2.5, biased variance 1.25', () => {
    const y = layerNormCpu(Float32Array.of(1, 2, 3, 4), Float32Array.of(1, 1, 1, 1), null, 0, {
      rows: 1,
      dim: 4,
    });
    const s = Math.sqrt(1.25);
    assertClose(y, [-1.5 / s, -0.5 / s, 0.5 / s, 1.5 / s], 1e-7, 0, 'ln');
    const g = layerNormCpu(
      Float32Array.of(1, 2, 3, 4),
      Float32Array.of(2, 2, 2, 2),
      Float32Array.of(1, 1, 1, 1),
      0,
      { rows: 1, dim: 4 },
    );
    assertClose(g, [1 - 3 / s, 1 - 1 / s, 1 + 1 / s, 1 + 3 / s], 1e-7, 0, 'ln affine');
  });

  it('rmsNorm of [3,4]: rms sqrt(12.5); addOne uses 1 + gamma', () => {
    const r = Math.sqrt(12.5);
    assertClose(
      rmsNormCpu(Float32Array.of(3, 4), Float32Array.of(1, 2), 0, false, { rows: 1, dim: 2 }),
      [3 / r, 8 / r],
      1e-7,
      0,
      'rms',
    );
    assertClose(
      rmsNormCpu(Float32Array.of(3, 4), Float32Array.of(0, 1), 0, true, { rows: 1, dim: 2 }),
      [3 / r, 8 / r],
      1e-7,
      0,
      'rms+1',
    );
  });
});

describe.each(backendCases())('layerNorm and rmsNorm on $name', ({ make }) => {
  let be: Backend;
  beforeAll(async () => {
    be = await make();
  });
  afterAll(() => be?.destroy());

  it.each([[[1, 1]], [[2, 1]], [[3, 5, 37]], [[4, 300]], [[1, 1, 768]]])('shape %j', async (shape) => {
    const dim = shape[shape.length - 1];
    const rows = shape.reduce((a, b) => a * b, 1) / dim;
    const x = randomF32(rows * dim, dim + rows, -3, 5); // off-centre, so the mean matters
    const gamma = randomF32(dim, 1, 0.5, 1.5);
    const beta = randomF32(dim, 2);
    const [xT, gT, bT] = [be.tensor(x, shape), be.tensor(gamma, [dim]), be.tensor(beta, [dim])];
    const r = { rows, dim };
    assertClose(
      await be.readF32(be.layerNorm(xT, gT, bT, 1e-5)),
      layerNormCpu(x, gamma, beta, 1e-5, r),
      RTOL,
      ATOL,
      'ln',
    );
    assertClose(
      await be.readF32(be.layerNorm(xT, gT, null, 1e-12)),
      layerNormCpu(x, gamma, null, 1e-12, r),
      RTOL,
      ATOL,
      'ln-nb',
    );
    assertClose(
      await be.readF32(be.rmsNorm(xT, gT, 1e-6)),
      rmsNormCpu(x, gamma, 1e-6, false, r),
      RTOL,
      ATOL,
      'rms',
    );
    const y1 = be.rmsNorm(xT, gT, 1e-6, { addOne: true });
    expect(y1.shape).toEqual(shape);
    assertClose(await be.readF32(y1), rmsNormCpu(x, gamma, 1e-6, true, r), RTOL, ATOL, 'rms+1');
  });

  it('maps a constant row to beta (variance 0, eps keeps it finite)', async () => {
    const x = be.tensor(new Float32Array(5).fill(7), [1, 5]);
    const y = be.layerNorm(
      x,
      be.tensor(new Float32Array(5).fill(3), [5]),
      be.tensor(Float32Array.of(1, 2, 3, 4, 5), [5]),
      1e-5,
    );
    expect([...(await be.readF32(y))]).toEqual([1, 2, 3, 4, 5]);
    const z = be.rmsNorm(be.tensor(new Float32Array(4), [2, 2]), be.tensor(Float32Array.of(1, 1), [2]), 1e-6);
    expect([...(await be.readF32(z))]).toEqual([0, 0, 0, 0]);
  });

  it('rejects gamma/beta of the wrong length', () => {
    const x = be.tensor(new Float32Array(6), [2, 3]);
    expect(() => be.layerNorm(x, be.tensor(new Float32Array(2), [2]), null, 1e-5)).toThrow(
      /gamma length: 2 != 3/,
    );
    expect(() =>
      be.layerNorm(x, be.tensor(new Float32Array(3), [3]), be.tensor(new Float32Array(3), [1, 3]), 1e-5),
    ).toThrow(ShapeError);
    expect(() => be.rmsNorm(x, be.tensor(new Float32Array(6), [2, 3]), 1e-5)).toThrow(/vector/);
  });
});
