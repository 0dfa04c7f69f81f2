/**
 * AdamW against a hand-computed sequence (3 steps, bias correction at step 1 gives a step of exactly
 * lr * sign(g) before decay), zero / addInPlace / sumSquares; on every backend (f32 math on the GPU:
 * |got - want| <= 1e-6 + 1e-5 |want|).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ShapeError, type Backend } from '../core/backend';
import type { AdamWStep } from '../core/training-ops';
import { assertClose, backendCases, randomF32 } from '../testing/backends';
import { adamwCpu, sumSquaresCpu } from './optim';

const HP = { lr: 0.1, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.01 };

/** The textbook loop written out for one scalar, in f64. */
function handAdamW(p0: number, grads: number[]): number[] {
  let [p, m, v] = [p0, 0, 0];
  const out: number[] = [];
  grads.forEach((g, i) => {
    const t = i + 1;
    m = 0.9 * m + 0.1 * g;
    v = 0.999 * v + 0.001 * g * g;
    const mhat = m / (1 - 0.9 ** t);
    const vhat = v / (1 - 0.999 ** t);
    p = p - 0.1 * (mhat / (Math.sqrt(vhat) + 1e-8) + 0.01 * p);
    out.push(p);
  });
  return out;
}

describe('AdamW CPU reference', () => {
  it('step 1 is bias-corrected: p1 = p0 - lr * (sign(g) + wd * p0) up to eps', () => {
    const p = Float32Array.of(1, -2, 0.5);
    const g = Float32Array.of(0.3, -5, 1e-3);
    const [m, v] = [new Float32Array(3), new Float32Array(3)];
    adamwCpu(p, g, m, v, { ...HP, step: 1 });
    assertClose(p, [1 - 0.1 * (1 + 0.01), -2 - 0.1 * (-1 - 0.02), 0.5 - 0.1 * (1 + 0.005)], 1e-6, 1e-6, 'p1');
    assertClose(m, [0.03, -0.5, 1e-4], 1e-6, 0, 'm1');
    assertClose(v, [0.3 * 0.3 * 0.001, 25 * 0.001, 1e-9], 1e-6, 0, 'v1');
  });

  it('matches the hand-written loop over three steps', () => {
    const grads = [0.5, -0.2, 0.8];
    const want = handAdamW(2, grads);
    const [p, m, v] = [Float32Array.of(2), new Float32Array(1), new Float32Array(1)];
    grads.forEach((g, i) => {
      adamwCpu(p, Float32Array.of(g), m, v, { ...HP, step: i + 1 });
      expect(p[0]).toBeCloseTo(want[i], 6);
    });
  });

  it('sumSquares', () => {
    expect(sumSquaresCpu(Float32Array.of(3, -4))).toBe(25);
  });
});

describe.each(backendCases())('optimiser ops on $name', ({ make }) => {
  let be: Backend;
  beforeAll(async () => {
    be = await make();
  });
  afterAll(() => be?.destroy());

  it('adamw in place over 3 steps matches the CPU reference (n = 1000)', async () => {
    const n = 1000;
    const p0 = randomF32(n, 41);
    const [p, m, v] = [
      be.tensor(p0, [10, 100]),
      be.tensor(new Float32Array(n), [10, 100]),
      be.tensor(new Float32Array(n), [10, 100]),
    ];
    const [rp, rm, rv] = [p0.slice(), new Float32Array(n), new Float32Array(n)];
    for (let step = 1; step <= 3; step++) {
      const g = randomF32(n, 50 + step, -2, 2);
      const hp: AdamWStep = { ...HP, step };
      be.adamw(p, be.tensor(g, [10, 100]), m, v, hp);
      adamwCpu(rp, g, rm, rv, hp);
    }
    assertClose(await be.readF32(p), rp, 1e-5, 1e-6, 'param');
    assertClose(await be.readF32(m), rm, 1e-5, 1e-6, 'm');
    assertClose(await be.readF32(v), rv, 1e-5, 1e-7, 'v');
  });

  it('adamw rejects step 0 and mismatched shapes', () => {
    const a = be.tensor(new Float32Array(2), [2]);
    const b = be.tensor(new Float32Array(3), [3]);
    expect(() => be.adamw(a, a, a, a, { ...HP, step: 0 })).toThrow(ShapeError);
    expect(() => be.adamw(a, b, a, a, { ...HP, step: 1 })).toThrow(ShapeError);
  });

  it('zero and addInPlace (default s = 1, and s = -0.5)', async () => {
    const t = be.tensor(Float32Array.of(1, 2, 3), [3]);
    be.addInPlace(t, be.tensor(Float32Array.of(1, 1, 1), [3]));
    assertClose(await be.readF32(t), [2, 3, 4], 0, 0, 'add');
    be.addInPlace(t, be.tensor(Float32Array.of(2, 4, 6), [3]), -0.5);
    assertClose(await be.readF32(t), [1, 1, 1], 0, 0, 'axpy');
    be.addInPlace(t, t, 2); // aliasing operands: t = 3t
    assertClose(await be.readF32(t), [3, 3, 3], 0, 0, 'alias');
    be.zero(t);
    assertClose(await be.readF32(t), [0, 0, 0], 0, 0, 'zero');
  });

  it('in-place updates are seen by later linear calls (no stale cached weight)', async () => {
    const x = be.tensor(randomF32(6, 61), [2, 3]);
    const w = be.tensor(randomF32(12, 62), [3, 4]);
    const y0 = await be.readF32(be.linear(x, w, null, 'kn'));
    be.addInPlace(w, be.tensor(new Float32Array(12).fill(1), [3, 4]));
    const y1 = await be.readF32(be.linear(x, w, null, 'kn'));
    const xs = await be.readF32(x);
    const shift = [xs[0] + xs[1] + xs[2], xs[3] + xs[4] + xs[5]];
    assertClose(
      y1,
      Array.from(y0, (v, i) => v + shift[Math.floor(i / 4)]),
      1e-5,
      1e-5,
      'after addInPlace',
    );
    be.zero(w);
    assertClose(await be.readF32(be.linear(x, w, null, 'kn')), new Float32Array(8), 0, 0, 'after zero');
    const [g, m, v] = [
      be.tensor(new Float32Array(12).fill(1), [3, 4]),
      be.tensor(new Float32Array(12), [3, 4]),
      be.tensor(new Float32Array(12), [3, 4]),
    ];
    be.adamw(w, g, m, v, { ...HP, weightDecay: 0, step: 1 });
    const want = Array.from({ length: 8 }, (_, i) => -0.1 * shift[Math.floor(i / 4)]);
    assertClose(await be.readF32(be.linear(x, w, null, 'kn')), want, 1e-5, 1e-6, 'after adamw');
  });

  it.each([0, 1, 4097, 20000])('sumSquares of %d elements', async (n) => {
    const x = randomF32(n, n + 3);
    const want = sumSquaresCpu(x);
    const got = await be.sumSquares(be.tensor(x, [n]));
    expect(Math.abs(got - want)).toBeLessThanOrEqual(1e-5 * want + 1e-6);
  });
});
