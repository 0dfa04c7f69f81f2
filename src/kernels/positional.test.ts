import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ShapeError, type Backend } from '../core/backend';
import { assertClose, backendCases, randomF32 } from '../testing/backends';
import type { Positional } from '../core/transformer-ops';
import { addSinusoidCpu, addTableCpu, sinusoid } from './positional';

// Tolerance: table add is bit-exact; sinusoids |got - ref| <= 1e-5 for positions < 64 (f32 angles
// t * inv, error ~ t * 2^-23 rad, and a ~1e-7 sin/cos); T = 512 is checked at 1e-4.
const ATOL = 1e-5;

const sin = (layout: 'concat' | 'interleaved', minTimescale?: number, maxTimescale?: number) =>
  ({ kind: 'sinusoidal', layout, minTimescale, maxTimescale }) as const;

describe('positional CPU references', () => {
  it('interleaved (Vaswani) D=4: t=0 -> [0,1,0,1]; t=1 -> [sin 1, cos 1, sin .01, cos .01]', () => {
    const y = addSinusoidCpu(new Float32Array(8), sinusoid(sin('interleaved')), { B: 1, T: 2, D: 4 });
    assertClose(
      y,
      [0, 1, 0, 1, Math.sin(1), Math.cos(1), Math.sin(0.01), Math.cos(0.01)],
      1e-7,
      0,
      'vaswani',
    );
  });

  it('concat (tensor2tensor) D=4: timescales 1 and 1e4, sins then cosines', () => {
    const y = addSinusoidCpu(new Float32Array(8), sinusoid(sin('concat')), { B: 1, T: 2, D: 4 });
    assertClose(y, [0, 0, 1, 1, Math.sin(1), Math.sin(1e-4), Math.cos(1), Math.cos(1e-4)], 1e-7, 0, 'concat');
    // custom timescales: min 2, max 8, D=6: inv = 1/2 * 4^(-i/2) = 1/2, 1/4, 1/8
    const z = addSinusoidCpu(new Float32Array(12), sinusoid(sin('concat', 2, 8)), { B: 1, T: 2, D: 6 });
    assertClose(
      z.subarray(6),
      [0.5, 0.25, 0.125].map(Math.sin).concat([0.5, 0.25, 0.125].map(Math.cos)),
      1e-7,
      0,
      'ts',
    );
  });

  it('table adds row t to every batch', () => {
    expect([
      ...addTableCpu(Float32Array.of(1, 1, 2, 2), Float32Array.of(10, 20, 99), { B: 2, T: 2, D: 1 }),
    ]).toEqual([11, 21, 12, 22]);
  });
});

describe.each(backendCases())('addPositional on $name', ({ make }) => {
  let be: Backend;
  beforeAll(async () => {
    be = await make();
  });
  afterAll(() => be?.destroy());

  it.each([
    [1, 1, 6],
    [2, 50, 16],
    [3, 7, 33],
  ])('table: B=%i T=%i D=%i (table longer than T)', async (B, T, D) => {
    const x = randomF32(B * T * D, D);
    const table = randomF32((T + 3) * D, D + 1);
    const y = be.addPositional(be.tensor(x, [B, T, D]), {
      kind: 'table',
      table: be.tensor(table, [T + 3, D]),
    });
    expect([...(await be.readF32(y))]).toEqual([...addTableCpu(x, table, { B, T, D })]);
  });

  const sinCases: [number, number, number, Extract<Positional, { kind: 'sinusoidal' }>][] = [
    [1, 1, 6, sin('concat')],
    [2, 50, 16, sin('concat')],
    [2, 50, 16, sin('interleaved')],
    [1, 5, 7, sin('interleaved')],
    [2, 63, 512, sin('concat', 1, 1e4)],
    [1, 20, 10, sin('concat', 2, 500)],
    [1, 20, 10, sin('interleaved', 0.5, 1e3)],
  ];
  it.each(sinCases)('sinusoidal B=%i T=%i D=%i %j', async (B, T, D, pos) => {
    const x = randomF32(B * T * D, T + D);
    const y = be.addPositional(be.tensor(x, [B, T, D]), pos);
    assertClose(await be.readF32(y), addSinusoidCpu(x, sinusoid(pos), { B, T, D }), 0, ATOL, 'sinusoid');
  });

  it('T = 512 sinusoids within 1e-4', async () => {
    const x = new Float32Array(512 * 8);
    for (const layout of ['concat', 'interleaved'] as const) {
      const y = be.addPositional(be.tensor(x, [1, 512, 8]), sin(layout));
      assertClose(
        await be.readF32(y),
        addSinusoidCpu(x, sinusoid(sin(layout)), { B: 1, T: 512, D: 8 }),
        0,
        1e-4,
        layout,
      );
    }
  });

  it('rejects short or narrow tables, odd D for concat, bad timescales', () => {
    const x = be.tensor(new Float32Array(2 * 3 * 5), [2, 3, 5]);
    expect(() =>
      be.addPositional(x, { kind: 'table', table: be.tensor(new Float32Array(10), [2, 5]) }),
    ).toThrow(/fewer than T = 3/);
    expect(() =>
      be.addPositional(x, { kind: 'table', table: be.tensor(new Float32Array(12), [3, 4]) }),
    ).toThrow(/table width/);
    expect(() => be.addPositional(x, sin('concat'))).toThrow(/even D/);
    expect(() => be.addPositional(x, sin('interleaved', -1))).toThrow(ShapeError);
  });
});
