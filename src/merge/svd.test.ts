/** The SVD of LoRA out on known matrices: exact low-rank recovery, orthogonality, energy, threshold. */
import { describe, expect, it } from 'vitest';
import { Rng } from '../util/rng';
import { jacobiSvd, truncatedSvd, type SvdResult } from './svd';

/** q [rows, k] row-major with orthonormal columns (Gram–Schmidt of a seeded Gaussian). */
function orthonormal(rows: number, k: number, seed: number): Float64Array {
  const r = new Rng(seed);
  const q = Float64Array.from({ length: rows * k }, () => r.normal());
  for (let j = 0; j < k; j++) {
    for (let pass = 0; pass < 2; pass++)
      for (let i = 0; i < j; i++) {
        let d = 0;
        for (let t = 0; t < rows; t++) d += q[t * k + i] * q[t * k + j];
        for (let t = 0; t < rows; t++) q[t * k + j] -= d * q[t * k + i];
      }
    let n = 0;
    for (let t = 0; t < rows; t++) n += q[t * k + j] ** 2;
    for (let t = 0; t < rows; t++) q[t * k + j] /= Math.sqrt(n);
  }
  return q;
}

/** U·diag(s)·Vᵀ as [m, n] row-major. */
function compose(m: number, n: number, s: number[], seed: number): Float64Array {
  const k = s.length;
  const u = orthonormal(m, k, seed);
  const v = orthonormal(n, k, seed + 1);
  const a = new Float64Array(m * n);
  for (let i = 0; i < m; i++)
    for (let j = 0; j < n; j++) {
      let x = 0;
      for (let t = 0; t < k; t++) x += u[i * k + t] * s[t] * v[j * k + t];
      a[i * n + j] = x;
    }
  return a;
}

function reconstruct(r: SvdResult): Float64Array {
  const k = r.s.length;
  const a = new Float64Array(r.m * r.n);
  for (let i = 0; i < r.m; i++)
    for (let j = 0; j < r.n; j++) {
      let x = 0;
      for (let t = 0; t < k; t++) x += r.u[i * k + t] * r.s[t] * r.v[j * k + t];
      a[i * r.n + j] = x;
    }
  return a;
}

/** max |XᵀX − I| of an [rows, k] row-major matrix */
function orthoError(x: Float64Array, rows: number, k: number): number {
  let worst = 0;
  for (let i = 0; i < k; i++)
    for (let j = 0; j < k; j++) {
      let d = 0;
      for (let t = 0; t < rows; t++) d += x[t * k + i] * x[t * k + j];
      worst = Math.max(worst, Math.abs(d - (i === j ? 1 : 0)));
    }
  return worst;
}

const maxAbs = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
};

describe('svd', () => {
  it('jacobiSvd recovers known singular values and orthonormal vectors (tall and wide)', () => {
    const s = [5, 3, 1, 0.5, 0.01];
    for (const [m, n] of [
      [9, 5],
      [5, 12],
    ]) {
      const a = compose(m, n, s, 3);
      const r = jacobiSvd(a, m, n);
      expect(r.s.length).toBe(Math.min(m, n));
      s.forEach((x, i) => expect(r.s[i]).toBeCloseTo(x, 12));
      expect(maxAbs(reconstruct(r), a)).toBeLessThan(1e-12);
      expect(orthoError(r.v.slice(), n, r.s.length)).toBeLessThan(1e-12);
      const u5 = new Float64Array(m * 5);
      for (let i = 0; i < m; i++) for (let j = 0; j < 5; j++) u5[i * 5 + j] = r.u[i * r.s.length + j];
      expect(orthoError(u5, m, 5)).toBeLessThan(1e-12);
      expect(r.energy).toBeCloseTo(1, 12);
    }
  });

  it('truncatedSvd recovers a rank-6 matrix exactly and reports the energy of a rank-3 cut', () => {
    const s = [10, 7, 4, 2, 1, 0.5];
    const [m, n] = [300, 200];
    const a = compose(m, n, s, 11);
    const full = truncatedSvd(a, m, n, { rank: 6 });
    s.forEach((x, i) => expect(full.s[i]).toBeCloseTo(x, 9));
    expect(maxAbs(reconstruct(full), a)).toBeLessThan(1e-10);
    expect(orthoError(full.u, m, 6)).toBeLessThan(1e-10);
    expect(orthoError(full.v, n, 6)).toBeLessThan(1e-10);
    expect(full.energy).toBeCloseTo(1, 10);
    const a32 = Float32Array.from(a);
    const cut = truncatedSvd(a32, m, n, { rank: 3 });
    const tot = s.reduce((x, y) => x + y * y, 0);
    expect(cut.s.length).toBe(3);
    expect(cut.energy).toBeCloseTo((100 + 49 + 16) / tot, 6);
    // the best rank-3 approximation: the residual's Frobenius² is the dropped energy
    const rec = reconstruct(cut);
    let res = 0;
    for (let i = 0; i < a.length; i++) res += (a32[i] - rec[i]) ** 2;
    expect(res).toBeCloseTo(4 + 1 + 0.25, 4);
    // asking for more than the rank keeps only the non-zero values
    expect(truncatedSvd(a, m, n, { rank: 20 }).s.length).toBe(6);
  });

  it('threshold mode keeps the values above it (capped at maxRank); a zero matrix keeps none', () => {
    const a = compose(60, 40, [9, 5, 3, 0.2, 0.1], 5);
    expect(Array.from(truncatedSvd(a, 60, 40, { threshold: 1 }).s).map((x) => +x.toFixed(9))).toEqual([
      9, 5, 3,
    ]);
    expect(truncatedSvd(a, 60, 40, { threshold: 0.15, maxRank: 2 }).s.length).toBe(2);
    const z = truncatedSvd(new Float32Array(60 * 40), 60, 40, { rank: 4 });
    expect(z.s.length).toBe(0);
    expect(z.energy).toBe(1);
    expect(() => truncatedSvd(a, 60, 40, {})).toThrow(/either a rank or a singular-value threshold/);
    expect(() => truncatedSvd(a, 60, 40, { rank: 0 })).toThrow(/rank must be a positive integer/);
  });

  it('a 2048 × 2048 rank-48 ΔW at rank 32 runs on the CPU in seconds', () => {
    const [m, n, r] = [2048, 2048, 48];
    const rng = new Rng(1);
    const b = Float32Array.from({ length: m * r }, () => rng.normal());
    const c = Float32Array.from({ length: r * n }, () => rng.normal());
    const a = new Float32Array(m * n);
    for (let i = 0; i < m; i++)
      for (let t = 0; t < r; t++) {
        const w = b[i * r + t] * 0.9 ** t;
        for (let j = 0; j < n; j++) a[i * n + j] += w * c[t * n + j];
      }
    const t0 = performance.now();
    const res = truncatedSvd(a, m, n, { rank: 32 });
    const ms = performance.now() - t0;
    console.log(`truncatedSvd 2048x2048 rank 32: ${ms.toFixed(0)} ms, energy ${res.energy.toFixed(5)}`);
    expect(res.s.length).toBe(32);
    expect(res.energy).toBeGreaterThan(0.9);
    expect(orthoError(res.v, n, 32)).toBeLessThan(1e-9);
  }, 120_000);
});
