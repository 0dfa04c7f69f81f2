import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ShapeError, type Backend } from '../core/backend';
import { assertClose, backendCases, randomF32 } from '../testing/backends';
import type { Activation } from '../core/transformer-ops';
import {
  ACTIVATIONS,
  activationCpu,
  activationRef,
  erfApproxF32,
  erfFast,
  erfRef,
  swigluCpu,
} from './activation';

// Tolerance: |got - ref| <= 2e-6 * |ref| + 1e-6. The kernel's erf is A&S 7.1.26 (bounded below 1e-6 here
// against the f64 reference); exp/tanh in f32 add a few ulp.
const RTOL = 2e-6;
const ATOL = 1e-6;

describe('activation CPU references', () => {
  it('erfRef matches tabulated values', () => {
    const table: [number, number][] = [
      [0, 0],
      [0.1, 0.1124629160182849],
      [0.5, 0.5204998778130465],
      [1, 0.8427007929497149],
      [2, 0.9953222650189527],
      [3, 0.9999779095030014],
      [3.5, 0.9999992569016276],
      [-1.5, -0.9661051464753108],
      [7, 1],
    ];
    for (const [x, want] of table) expect(Math.abs(erfRef(x) - want)).toBeLessThan(1e-14);
  });

  it("the kernel's erf approximation stays within 1e-6 of erfRef on [-8, 8]", () => {
    let worst = 0;
    for (let i = -80000; i <= 80000; i++)
      worst = Math.max(worst, Math.abs(erfApproxF32(i / 10000) - erfRef(i / 10000)));
    expect(worst).toBeLessThan(1e-6);
  });

  it("the CPU path's interpolated erf stays within 1e-10 of erfRef on [-8, 8] (NaN stays NaN)", () => {
    let worst = 0;
    for (let i = -80000; i <= 80000; i++) {
      const x = i / 10000 + 1e-5 * Math.sin(i); // off the grid too
      worst = Math.max(worst, Math.abs(erfFast(x) - erfRef(x)));
    }
    expect(worst).toBeLessThan(1e-10);
    expect(erfFast(NaN)).toBeNaN();
    expect(erfFast(-Infinity)).toBe(-1);
    const x = new Float32Array([-3, -0.5, 0, 0.7, 2.2]);
    const y = activationCpu(x, 'gelu');
    x.forEach((v, i) => expect(Math.abs(y[i] - Math.fround(activationRef(v, 'gelu')))).toBeLessThan(1e-7));
  });

  it('gives hand-checked values', () => {
    const close = (a: number, b: number) => expect(Math.abs(a - b)).toBeLessThan(1e-12);
    close(activationRef(1, 'gelu'), 0.8413447460685429); // Phi(1)
    close(activationRef(-1, 'gelu'), -0.15865525393145707);
    close(activationRef(1, 'gelu_tanh'), 0.8411919906082768);
    close(activationRef(1, 'silu'), 0.7310585786300049); // 1 / (1 + e^-1)
    close(activationRef(0.5, 'tanh'), 0.46211715726000974);
    expect(activationRef(-3, 'relu')).toBe(0);
    expect(activationRef(2.5, 'relu')).toBe(2.5);
    expect([...swigluCpu(Float32Array.of(1, 0), Float32Array.of(2, 5))]).toEqual([
      Math.fround(2 * 0.7310585786300049),
      0,
    ]);
  });
});

describe.each(backendCases())('activation and swiglu on $name', ({ make }) => {
  let be: Backend;
  beforeAll(async () => {
    be = await make();
  });
  afterAll(() => be?.destroy());

  const edges = Float32Array.of(
    0,
    -0,
    1e-8,
    -1e-8,
    1e-3,
    -0.7,
    5,
    -5,
    9.5,
    -9.5,
    20,
    -20,
    100,
    -100,
    3e4,
    -3e4,
  );
  const x = new Float32Array(edges.length + 1001);
  x.set(edges);
  x.set(randomF32(1001, 5, -8, 8), edges.length);

  it.each(ACTIVATIONS.map((a) => [a]))('%s on random and edge values', async (kind: Activation) => {
    const t = be.tensor(x, [x.length]);
    const y = be.activation(t, kind);
    const got = await be.readF32(y);
    assertClose(got, activationCpu(x, kind), RTOL, ATOL, kind);
    expect(got.every(Number.isFinite)).toBe(true);
    be.dispose(t, y);
  });

  it('keeps the shape', () => {
    expect(be.activation(be.tensor(new Float32Array(6), [1, 2, 3]), 'gelu').shape).toEqual([1, 2, 3]);
  });

  it('swiglu = silu(gate) * up', async () => {
    const up = randomF32(x.length, 9, -3, 3);
    const y = be.swiglu(be.tensor(x, [1, x.length]), be.tensor(up, [1, x.length]));
    assertClose(await be.readF32(y), swigluCpu(x, up), RTOL, ATOL, 'swiglu');
  });

  it('rejects unknown kinds and mismatched swiglu shapes', () => {
    const a = be.tensor(new Float32Array(4), [4]);
    expect(() => be.activation(a, 'gelu_new' as Activation)).toThrow(/unknown activation 'gelu_new'/);
    expect(() => be.swiglu(a, be.tensor(new Float32Array(4), [2, 2]))).toThrow(ShapeError);
  });
});
