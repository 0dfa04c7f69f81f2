import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Backend } from '../core/backend';
import { assertClose, backendCases, randomF32, randomInts } from '../testing/backends';
import { gramCpu } from './gram';
import { matmulCpu } from './matmul';

// Tolerance: |got - ref| <= 1e-5·|ref| + 1e-4 for inputs in [-1, 1) over up to 1,500 rows (the reference
// accumulates in f64 and rounds once; the GPU accumulates in f32).
const RTOL = 1e-5;
const ATOL = 1e-4;

function transpose(x: Float32Array, rows: number, cols: number): Float32Array {
  const t = new Float32Array(x.length);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) t[c * rows + r] = x[r * cols + c];
  return t;
}

describe('gramCpu', () => {
  it('is xᵀx (a hand-worked case and the matmul of the transpose)', () => {
    const x = Float32Array.of(1, 2, 3, 4, 5, 6); // [3,2]
    expect([...gramCpu(x, { rows: 3, cols: 2 })]).toEqual([35, 44, 44, 56]);
    const y = randomF32(9 * 5, 3);
    assertClose(
      gramCpu(y, { rows: 9, cols: 5 }),
      matmulCpu(transpose(y, 9, 5), y, { M: 5, K: 9, N: 5 }),
      1e-6,
      1e-6,
      'gram vs matmul',
    );
  });
});

describe.each(backendCases())('gram on $name', ({ make }) => {
  let be: Backend;
  beforeAll(async () => {
    be = await make();
  });
  afterAll(() => be?.destroy());

  it.each([
    [1, 1],
    [5, 1],
    [1, 7],
    [17, 33],
    [40, 16],
    [1500, 21],
    [0, 4],
  ])('rows=%i cols=%i matches the reference and is symmetric', async (rows, cols) => {
    const x = randomF32(rows * cols, rows * 7 + cols);
    const t = be.tensor(x, [rows, cols]);
    const c = be.gram(t);
    expect(c.shape).toEqual([cols, cols]);
    const got = await be.readF32(c);
    assertClose(got, gramCpu(x, { rows, cols }), RTOL, ATOL, 'gram');
    for (let i = 0; i < cols; i++)
      for (let j = 0; j < i; j++) expect(got[i * cols + j]).toBe(got[j * cols + i]);
    be.dispose(t, c);
  });

  it('is exact on small integers (every block, both triangles)', async () => {
    const [rows, cols] = [50, 37];
    const x = randomInts(rows * cols, 11);
    const t = be.tensor(x, [rows, cols]);
    const c = be.gram(t);
    expect([...(await be.readF32(c))]).toEqual([...gramCpu(x, { rows, cols })]);
    be.dispose(t, c);
  });

  it('rejects a tensor that is not [N,D]', () => {
    const v = be.tensor(new Float32Array(8), [2, 2, 2]);
    expect(() => be.gram(v)).toThrow(/gram: x must have rank 2/);
    be.dispose(v);
  });
});
