import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ShapeError, type Backend } from '../core/backend';
import { backendCases, randomF32 } from '../testing/backends';
import { addCpu, mulCpu, scaleCpu } from './elementwise';

// Tolerance: none. One f32 add/multiply is correctly rounded on every backend (the CPU computes it in
// f64 and rounds once, which gives the same f32), so results must be bit-identical.

describe('elementwise CPU references', () => {
  it('add (same shape and broadcast), mul, scale on hand values', () => {
    expect([...addCpu(Float32Array.of(1, 2, 3, 4), Float32Array.of(10, 20, 30, 40))]).toEqual([
      11, 22, 33, 44,
    ]);
    expect([...addCpu(Float32Array.of(1, 2, 3, 4), Float32Array.of(10, 20))]).toEqual([11, 22, 13, 24]);
    expect([...mulCpu(Float32Array.of(1, -2, 3), Float32Array.of(2, 3, 0.5))]).toEqual([2, -6, 1.5]);
    expect([...scaleCpu(Float32Array.of(1, -2, 4), 0.25)]).toEqual([0.25, -0.5, 1]);
  });
});

describe.each(backendCases())('add/mul/scale on $name', ({ make }) => {
  let be: Backend;
  beforeAll(async () => {
    be = await make();
  });
  afterAll(() => be?.destroy());

  it.each([[[1]], [[7]], [[3, 5, 37]], [[2, 300]]])('shape %j', async (shape) => {
    const n = shape.reduce((a, b) => a * b, 1);
    const D = shape[shape.length - 1];
    const a = randomF32(n, n, -10, 10);
    const b = randomF32(n, n + 1, -10, 10);
    const v = randomF32(D, D + 2, -10, 10);
    const [aT, bT, vT] = [be.tensor(a, shape), be.tensor(b, shape), be.tensor(v, [D])];
    const got = async (t: ReturnType<Backend['add']>) => [...(await be.readF32(t))];
    expect(await got(be.add(aT, bT))).toEqual([...addCpu(a, b)]);
    expect(await got(be.add(aT, vT))).toEqual([...addCpu(a, v)]);
    expect(await got(be.mul(aT, bT))).toEqual([...mulCpu(a, b)]);
    expect(await got(be.scale(aT, 1 / 3))).toEqual([...scaleCpu(a, 1 / 3)]);
    expect(be.add(aT, vT).shape).toEqual(shape);
  });

  it('handles empty tensors', async () => {
    const e = be.tensor(new Float32Array(0), [0, 4]);
    expect(be.add(e, be.tensor(new Float32Array(4), [4])).shape).toEqual([0, 4]);
    expect((await be.readF32(be.scale(e, 2))).length).toBe(0);
  });

  it('rejects mismatched shapes and non-finite scales', () => {
    const a = be.tensor(new Float32Array(6), [2, 3]);
    expect(() => be.add(a, be.tensor(new Float32Array(2), [2]))).toThrow(
      /must have the shape of a \[2,3\] or be \[3\]/,
    );
    expect(() => be.add(a, be.tensor(new Float32Array(6), [3, 2]))).toThrow(ShapeError);
    expect(() => be.mul(a, be.tensor(new Float32Array(3), [3]))).toThrow(/same shape/);
    expect(() => be.scale(a, NaN)).toThrow(/finite/);
    expect(() => be.add(a, be.tensor(new Uint32Array(6), [2, 3]))).toThrow(/must be f32/);
  });
});
