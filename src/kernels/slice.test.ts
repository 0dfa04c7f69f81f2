import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ShapeError, type Backend } from '../core/backend';
import { backendCases, randomF32 } from '../testing/backends';
import { checkGradients, randomCotangent } from '../testing/fd';
import { sliceBackwardCpu, sliceCpu } from './slice';

// Exact: copies (GPU and CPU agree bit for bit).

describe('sliceCpu / sliceBackwardCpu', () => {
  it('takes rows start.. of the middle axis per outer index, and puts them back between zeros', () => {
    // x [2, 3, 2]: rows 1..2 of the middle axis
    const x = Float32Array.of(1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12);
    const d = { outer: 2, T: 3, start: 1, len: 2, inner: 2 };
    const y = sliceCpu(x, d);
    expect([...y]).toEqual([3, 4, 5, 6, 9, 10, 11, 12]);
    expect([...sliceBackwardCpu(y, d)]).toEqual([0, 0, 3, 4, 5, 6, 0, 0, 9, 10, 11, 12]);
  });

  it('backward passes a finite-difference check', () => {
    const d = { outer: 2, T: 5, start: 2, len: 2, inner: 3 };
    const x = randomF32(30, 3);
    const f = ([a]: Float32Array[]) => sliceCpu(a, d);
    const r = randomCotangent(f, [x], 4);
    checkGradients('slice', f, [x], r, [sliceBackwardCpu(r, d)], { h: 1e-2, rtol: 1e-3, atol: 1e-3 });
  });
});

describe.each(backendCases())('slice on $name', ({ make }) => {
  let be: Backend;
  beforeAll(async () => {
    be = await make();
  });
  afterAll(() => be?.destroy());

  // [shape, axis, start, len]
  const cases: [number[], number, number, number][] = [
    [[6, 40], 1, 0, 16],
    [[6, 40], 1, 16, 8],
    [[6, 40], 1, 24, 16],
    [[2, 3, 24], 2, 12, 12],
    [[5, 7], 0, 2, 3],
    [[1, 300, 4, 16], 1, 100, 150],
  ];
  it.each(cases)('%j axis %i from %i, %i entries (and back)', async (shape, axis, start, len) => {
    const n = shape.reduce((a, b) => a * b, 1);
    const x = randomF32(n, n + start);
    const y = be.slice(be.tensor(x, shape), axis, start, len);
    const out = [...shape];
    out[axis] = len;
    expect(y.shape).toEqual(out);
    const d = {
      outer: shape.slice(0, axis).reduce((a, b) => a * b, 1),
      T: shape[axis],
      start,
      len,
      inner: shape.slice(axis + 1).reduce((a, b) => a * b, 1),
    };
    const want = sliceCpu(x, d);
    expect([...(await be.readF32(y))]).toEqual([...want]);
    const back = be.sliceBackward(y, axis, start, shape[axis]);
    expect(back.shape).toEqual(shape);
    expect([...(await be.readF32(back))]).toEqual([...sliceBackwardCpu(want, d)]);
  });

  it('rejects a slice past the axis, an empty slice and a bad axis', () => {
    const x = be.tensor(new Float32Array(12), [3, 4]);
    expect(() => be.slice(x, 1, 2, 3)).toThrow(/slice 2\.\.5 must lie inside the axis' 0\.\.4/);
    expect(() => be.slice(x, 1, 0, 0)).toThrow(ShapeError);
    expect(() => be.slice(x, 2, 0, 1)).toThrow(/axis must be/);
    expect(() => be.sliceBackward(x, 1, 1, 4)).toThrow(/slice 1\.\.5/);
  });
});
