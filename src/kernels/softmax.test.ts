import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Backend } from '../core/backend';
import { assertClose, backendCases, randomF32 } from '../testing/backends';
import { softmaxCpu } from './softmax';

// Tolerance: |got - ref| <= 1e-5 * |ref| + 1e-7 (probabilities; the GPU sums exp in f32 as a tree).
const RTOL = 1e-5;
const ATOL = 1e-7;

describe('softmaxCpu', () => {
  it('softmax([0, ln 2]) = [1/3, 2/3]; large equal logits stay finite', () => {
    assertClose(softmaxCpu(Float32Array.of(0, Math.LN2), { rows: 1, dim: 2 }), [1 / 3, 2 / 3], 1e-7, 0, 'sm');
    expect([...softmaxCpu(Float32Array.of(1000, 1000, -1000, 5), { rows: 2, dim: 2 })]).toEqual([
      0.5, 0.5, 0, 1,
    ]);
  });
});

describe.each(backendCases())('softmax on $name', ({ make }) => {
  let be: Backend;
  beforeAll(async () => {
    be = await make();
  });
  afterAll(() => be?.destroy());

  it.each([[[1, 1]], [[7]], [[3, 5, 37]], [[2, 300]], [[4, 512]]])('shape %j', async (shape) => {
    const dim = shape[shape.length - 1];
    const n = shape.reduce((a, b) => a * b, 1);
    const x = randomF32(n, n, -30, 30);
    const y = be.softmax(be.tensor(x, shape));
    expect(y.shape).toEqual(shape);
    assertClose(await be.readF32(y), softmaxCpu(x, { rows: n / dim, dim }), RTOL, ATOL, 'softmax');
  });

  it('is stable for huge logits and exact for equal ones', async () => {
    const x = Float32Array.of(1e30, 1e30, -1e30, 88, 89, -3.4e38);
    const got = await be.readF32(be.softmax(be.tensor(x, [2, 3])));
    expect([...got.subarray(0, 3)]).toEqual([0.5, 0.5, 0]);
    assertClose(got, softmaxCpu(x, { rows: 2, dim: 3 }), RTOL, ATOL, 'softmax-big');
  });
});
