import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Backend } from '../core/backend';
import { assertClose, backendCases, randomF32 } from '../testing/backends';
import { centerColumnsCpu } from './center';

// Tolerance: |got - ref| <= 1e-5 + 1e-5·|ref| for inputs in [-1, 1) plus an offset of up to 3 (the GPU sums
// a column in f32 in another order than the f64 reference).
const TOL = 1e-5;

describe('centerColumnsCpu', () => {
  it('subtracts each column mean (a hand-worked case)', () => {
    const x = Float32Array.of(1, 10, 3, 20, 5, 60); // [3,2]: means 3, 30
    expect([...centerColumnsCpu(x, { rows: 3, cols: 2 })]).toEqual([-2, -20, 0, -10, 2, 30]);
  });
});

describe.each(backendCases())('centerColumns on $name', ({ make }) => {
  let be: Backend;
  beforeAll(async () => {
    be = await make();
  });
  afterAll(() => be?.destroy());

  it.each([
    [1, 1],
    [1, 5],
    [7, 3],
    [33, 17],
    [300, 40],
    [1500, 24],
  ])('rows=%i cols=%i matches the reference and leaves zero column means', async (rows, cols) => {
    const x = randomF32(rows * cols, rows * 31 + cols);
    for (let i = 0; i < x.length; i++) x[i] += (i % cols) % 4; // columns with different means
    const t = be.tensor(x, [rows, cols]);
    const y = be.centerColumns(t);
    expect(y.shape).toEqual([rows, cols]);
    const got = await be.readF32(y);
    assertClose(got, centerColumnsCpu(x, { rows, cols }), TOL, TOL, 'centerColumns');
    for (let c = 0; c < cols; c++) {
      let s = 0;
      for (let r = 0; r < rows; r++) s += got[r * cols + c];
      expect(Math.abs(s / rows)).toBeLessThan(1e-5);
    }
    be.dispose(t, y);
  });

  it('rejects a tensor that is not [N,D]', () => {
    const v = be.tensor(new Float32Array(3), [3]);
    expect(() => be.centerColumns(v)).toThrow(/centerColumns: x must have rank 2/);
    be.dispose(v);
  });
});
