import { describe, expect, it } from 'vitest';
import { Rng } from '../util/rng';
import { bernoulliMask, dellaMask, magnitudeOutliersMask, rescaleL1 } from './sparsify';
import { expectClose, merge1d } from './test-helpers';

const N = 100_000;
function ramp(n: number, seed = 1): number[] {
  const r = new Rng(seed);
  return Array.from({ length: n }, () => r.normal());
}
const l1 = (xs: ArrayLike<number>) => Array.from(xs).reduce((a, b) => a + Math.abs(b), 0);

describe('DARE (Bernoulli keep p = density, seeded)', () => {
  const delta = ramp(N);
  const zeros = delta.map(() => 0);
  it('keeps ≈ density of a large tensor (|rate − p| < 0.01, ~7σ at n = 1e5) and preserves ‖δ‖₁ with rescale', () => {
    for (const p of [0.1, 0.3, 0.7]) {
      const got = merge1d('dare_linear', zeros, [delta], [{ weight: 1, density: p }], { seed: 7 });
      const rate = got.filter((v) => v !== 0).length / N;
      expect(Math.abs(rate - p)).toBeLessThan(0.01);
      expect(Math.abs(l1(got) - l1(delta)) / l1(delta)).toBeLessThan(1e-4);
      // every kept entry is δ scaled by the same factor ‖δ‖₁/‖kept‖₁
      const i = got.findIndex((v) => v !== 0);
      const s = got[i] / delta[i];
      got.forEach((v, j) => v !== 0 && expect(Math.abs(v - delta[j] * s)).toBeLessThan(1e-4));
    }
  });
  it('without rescale the kept entries are δ unchanged', () => {
    const got = merge1d(
      'dare_linear',
      zeros.slice(0, 50),
      [delta.slice(0, 50)],
      [{ weight: 1, density: 0.5 }],
      {
        rescale: false,
        seed: 3,
      },
    );
    got.forEach((v, j) => expect(v === 0 || Math.abs(v - delta[j]) < 1e-6).toBe(true));
  });
  it('is deterministic by seed, differs across seeds and across tensor names', () => {
    const d = delta.slice(0, 64);
    const z = zeros.slice(0, 64);
    const run = (seed: number, name = 't') =>
      merge1d('dare_ties', z, [d], [{ weight: 1, density: 0.5 }], { seed }, undefined, name);
    expect(run(5)).toEqual(run(5));
    expect(run(5)).not.toEqual(run(6));
    expect(run(5, 'a')).not.toEqual(run(5, 'b'));
  });
  it('masks are drawn independently per expert', () => {
    const a = bernoulliMask(1000, 0.5, 1) as Uint8Array;
    const b = bernoulliMask(1000, 0.5, 2) as Uint8Array;
    expect(a.some((v, i) => v !== b[i])).toBe(true);
    expect(bernoulliMask(10, 1, 1)).toBeNull();
  });
  it('a zero task vector stays zero (no rescale blow-up) and gives the base', () => {
    expectClose(merge1d('dare_ties', [1, 2, 3], [[1, 2, 3]], [{ weight: 1, density: 0.3 }]), [1, 2, 3]);
  });
});

describe('rescale rule (‖δ‖₁ / ‖sparsified δ‖₁, mergekit eps 1e-7)', () => {
  it('scales by the L1 ratio, not 1/density', () => {
    const d = Float32Array.from([4, -3, 1, 0.5]);
    expectClose(
      rescaleL1(d, Float32Array.from([4, 0, 0, 0.5])),
      [4 * (8.5 / 4.5), 0, 0, 0.5 * (8.5 / 4.5)],
      1e-6,
    );
    expectClose(rescaleL1(d, new Float32Array(4)), [0, 0, 0, 0]);
  });
});

describe('breadcrumbs mask', () => {
  it('keeps sorted[n_bot : n − n_top] also when n_top = 0', () => {
    const d = Float32Array.from([5, 1, 4, 2, 3]);
    expect(Array.from(magnitudeOutliersMask(d, 0.4, 0) as Uint8Array)).toEqual([1, 0, 1, 0, 0]);
    expect(Array.from(magnitudeOutliersMask(d, 0.4, 0.2) as Uint8Array)).toEqual([0, 0, 1, 0, 1]);
  });
});

describe('DELLA (per-row magnitude-ranked keep probability)', () => {
  it('keep rate of the r-th smallest |δ| in a row of L is (d − ε) + 2ε·r/(L−1) (|Δ| < 0.05, ~4.5σ over 2000 rows)', () => {
    const rows = 2000;
    const L = 10;
    const d = new Float32Array(rows * L);
    for (let i = 0; i < rows; i++)
      for (let j = 0; j < L; j++) d[i * L + j] = (j % 2 ? -1 : 1) * (((j * 7) % L) + 1);
    const density = 0.5;
    const eps = 0.2;
    const keep = dellaMask(d, [rows, L], density, eps, 11, 'w') as Uint8Array;
    let total = 0;
    for (let j = 0; j < L; j++) {
      const rank = (j * 7) % L; // |δ| = rank + 1, all distinct
      let kept = 0;
      for (let i = 0; i < rows; i++) kept += keep[i * L + j];
      total += kept;
      expect(Math.abs(kept / rows - (density - eps + (2 * eps * rank) / (L - 1)))).toBeLessThan(0.05);
    }
    expect(Math.abs(total / (rows * L) - density)).toBeLessThan(0.02);
  });
  it('rejects density ± epsilon outside (0, 1), naming the tensor', () => {
    expect(() =>
      merge1d('della', [0, 0], [[1, 2]], [{ weight: 1, density: 0.1 }], {}, undefined, 'enc.w'),
    ).toThrow(/enc\.w.*epsilon/);
  });
  it('della defaults: rescale and normalize on; della_linear: rescale on, normalize off; both seeded', () => {
    const delta = ramp(4000, 2);
    const zeros = delta.map(() => 0);
    const a = merge1d('della', zeros, [delta], [{ weight: 2, density: 0.5 }], { seed: 1 });
    // one expert, normalize: w·δ'/w = δ' with ‖δ'‖₁ = ‖δ‖₁
    expect(Math.abs(l1(a) - l1(delta)) / l1(delta)).toBeLessThan(1e-4);
    const b = merge1d('della_linear', zeros, [delta], [{ weight: 2, density: 0.5 }], { seed: 1 });
    expect(Math.abs(l1(b) - 2 * l1(delta)) / l1(delta)).toBeLessThan(2e-4);
    expect(merge1d('della', zeros, [delta], [{ weight: 2, density: 0.5 }], { seed: 1 })).toEqual(a);
  });
  it('a one-element row keeps with probability density', () => {
    let kept = 0;
    for (let key = 0; key < 4000; key++)
      kept += (dellaMask(Float32Array.from([3]), [1], 0.4, 0.1, key, 'b') as Uint8Array)[0];
    expect(Math.abs(kept / 4000 - 0.4)).toBeLessThan(0.04);
  });
});
