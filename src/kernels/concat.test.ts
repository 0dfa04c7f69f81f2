import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ShapeError, type Backend } from '../core/backend';
import { backendCases, randomF32 } from '../testing/backends';
import { concatCpu } from './concat';

// Exact: a copy (GPU and CPU agree bit for bit).

describe('concatCpu', () => {
  it('joins along the middle axis per outer index', () => {
    // a [2, 1, 2], b [2, 2, 2] -> [2, 3, 2]
    const a = Float32Array.of(1, 2, 3, 4);
    const b = Float32Array.of(10, 11, 12, 13, 20, 21, 22, 23);
    expect([...concatCpu(a, b, { outer: 2, ta: 1, tb: 2, inner: 2 })]).toEqual([
      1, 2, 10, 11, 12, 13, 3, 4, 20, 21, 22, 23,
    ]);
  });
});

describe.each(backendCases())('concat on $name', ({ make }) => {
  let be: Backend;
  beforeAll(async () => {
    be = await make();
  });
  afterAll(() => be?.destroy());

  // [a shape, b shape, axis]
  const cases: [number[], number[], number][] = [
    [[1, 5, 2, 8], [1, 1, 2, 8], 1],
    [[3, 4, 2, 3], [3, 7, 2, 3], 1],
    [[4, 3], [2, 3], 0],
    [[2, 3, 5], [2, 3, 1], 2],
    [[1, 300, 4, 16], [1, 2, 4, 16], 1],
  ];
  it.each(cases)('%j + %j on axis %i', async (sa, sb, axis) => {
    const a = randomF32(
      sa.reduce((x, y) => x * y, 1),
      sa.length * 13 + 1,
    );
    const b = randomF32(
      sb.reduce((x, y) => x * y, 1),
      sb.length * 17 + 2,
    );
    const y = be.concat(be.tensor(a, sa), be.tensor(b, sb), axis);
    const out = [...sa];
    out[axis] += sb[axis];
    expect(y.shape).toEqual(out);
    const outer = sa.slice(0, axis).reduce((x, z) => x * z, 1);
    const inner = sa.slice(axis + 1).reduce((x, z) => x * z, 1);
    const want = concatCpu(a, b, { outer, ta: sa[axis], tb: sb[axis], inner });
    expect([...(await be.readF32(y))]).toEqual([...want]);
  });

  it('rejects shapes that differ off the axis, a bad axis and empty inputs', () => {
    const a = be.tensor(new Float32Array(6), [1, 2, 3]);
    expect(() => be.concat(a, be.tensor(new Float32Array(8), [1, 2, 4]), 1)).toThrow(/agree on every axis/);
    expect(() => be.concat(a, a, 3)).toThrow(ShapeError);
    expect(() => be.concat(a, be.tensor(new Float32Array(0), [1, 0, 3]), 1)).toThrow(/empty/);
  });
});
