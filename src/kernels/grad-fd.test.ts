/**
 * Finite-difference checks of every backward CPU reference (tiny shapes). The forwards are the CPU
 * references (f32 outputs, f64 math), L = Σ r ⊙ y in f64, central differences with step h.
 * Tolerance: |fd - analytic| <= 2e-3 + 2e-3 |analytic| with h = 1e-2 for the f32-output forwards
 * (truncation ~h^2 |f'''| <~ 1e-4, f32 output rounding ~1e-7 * sqrt(n) / h <~ 1e-5);
 * InfoNCE (its loss is f64) uses h = 1e-3 and 1e-4 + 1e-4 |analytic|.
 */
import { describe, expect, it } from 'vitest';
import { randomF32 } from '../testing/backends';
import { ACTIVATIONS, activationCpu, swigluCpu } from './activation';
import { attentionCpu, type AttentionDims } from './attention';
import { checkGradients, randomCotangent, type Forward } from '../testing/fd';
import { linearBackwardCpu } from './grad-linear';
import { layerNormBackwardCpu, rmsNormBackwardCpu } from './grad-norm';
import { attentionBackwardCpu } from './grad-attention';
import * as g from './grad-pointwise';
import { l2NormalizeCpu } from './l2norm';
import { layerNormCpu, rmsNormCpu } from './layernorm';
import { linearCpu } from './linear';
import { maskedMeanPoolCpu } from './meanpool';
import { poolCpu } from './pool';
import { ropeCpu, type RopeDims } from './rope';
import { softmaxCpu } from './softmax';

const FD = { h: 1e-2, rtol: 2e-3, atol: 2e-3 };

/** runs the check and also requires some gradient to be clearly non-zero (no vacuous pass) */
function check(
  label: string,
  f: Forward,
  ins: Float32Array[],
  grads: (r: Float32Array) => (ArrayLike<number> | null)[],
  seed = 7,
): void {
  const r = randomCotangent(f, ins, seed);
  const an = grads(r);
  checkGradients(label, f, ins, r, an, FD);
  const big = Math.max(...an.flatMap((a) => (a ? Array.from(a, Math.abs) : [0])));
  expect(big, `${label}: all-zero gradient`).toBeGreaterThan(1e-2);
}

describe('finite-difference checks of the backward references', () => {
  it.each(['kn', 'nk'] as const)('linear, layout %s (dx, dw, db)', (layout) => {
    const [M, K, N] = [3, 4, 5];
    const ins = [randomF32(M * K, 1), randomF32(K * N, 2), randomF32(N, 3)];
    const f: Forward = ([x, w, b]) => linearCpu(x, w, b, { M, K, N }, layout);
    check(`linear ${layout}`, f, ins, (r) => {
      const o = linearBackwardCpu(ins[0], ins[1], r, { M, K, N }, layout, true);
      return [o.dx, o.dw, o.db];
    });
    expect(linearBackwardCpu(ins[0], ins[1], randomF32(M * N, 4), { M, K, N }, layout, false).dx).toBeNull();
  });

  it('layerNorm (dx, dgamma, dbeta)', () => {
    const [rows, dim] = [3, 6];
    const ins = [randomF32(rows * dim, 5, -2, 3), randomF32(dim, 6, 0.5, 1.5), randomF32(dim, 7)];
    const f: Forward = ([x, ga, be]) => layerNormCpu(x, ga, be, 1e-5, { rows, dim });
    check('layerNorm', f, ins, (r) => {
      const o = layerNormBackwardCpu(ins[0], ins[1], r, 1e-5, { rows, dim });
      return [o.dx, o.dgamma, o.dbeta];
    });
  });

  it.each([false, true])('rmsNorm, addOne %s (dx, dgamma)', (addOne) => {
    const [rows, dim] = [3, 5];
    const ins = [randomF32(rows * dim, 8, -2, 2), randomF32(dim, 9, -0.5, 1.5)];
    const f: Forward = ([x, ga]) => rmsNormCpu(x, ga, 1e-6, addOne, { rows, dim });
    check(`rmsNorm ${addOne}`, f, ins, (r) => {
      const o = rmsNormBackwardCpu(ins[0], ins[1], r, 1e-6, addOne, { rows, dim });
      return [o.dx, o.dgamma];
    });
  });

  it.each(ACTIVATIONS)('activation %s', (kind) => {
    // keep inputs away from relu's kink at 0 (|x| >= 0.1 > h)
    const x = randomF32(24, 10, -3, 3).map((v) => (Math.abs(v) < 0.1 ? v + 0.2 : v));
    check(
      kind,
      ([a]) => activationCpu(a, kind),
      [x],
      (r) => [g.activationBackwardCpu(x, r, kind)],
    );
  });

  it('swiglu (dgate, dup)', () => {
    const ins = [randomF32(12, 11, -3, 3), randomF32(12, 12)];
    check(
      'swiglu',
      ([a, b]) => swigluCpu(a, b),
      ins,
      (r) => {
        const o = g.swigluBackwardCpu(ins[0], ins[1], r);
        return [o.dgate, o.dup];
      },
    );
  });

  it('softmax (dx from y and dy)', () => {
    const [rows, dim] = [3, 5];
    const x = randomF32(rows * dim, 13, -2, 2);
    const f: Forward = ([a]) => softmaxCpu(a, { rows, dim });
    check('softmax', f, [x], (r) => [g.softmaxBackwardCpu(softmaxCpu(x, { rows, dim }), r, { rows, dim })]);
  });

  it('l2Normalize', () => {
    const x = randomF32(3 * 4, 14);
    check(
      'l2norm',
      ([a]) => l2NormalizeCpu(a, 3, 4),
      [x],
      (r) => [g.l2NormalizeBackwardCpu(x, r, 3, 4)],
    );
  });

  it.each([
    ['half', 6],
    ['half', 4],
    ['interleaved', 6],
  ] as const)('rope %s, rotaryDim %d', (style, rd) => {
    const dims: RopeDims = { B: 2, T: 3, H: 2, Dh: 6, r: rd, style };
    const x = randomF32(2 * 3 * 2 * 6, 15);
    check(
      'rope',
      ([a]) => ropeCpu(a, dims, 100),
      [x],
      (r) => [g.ropeBackwardCpu(r, dims, 100)],
    );
  });

  it.each(['half', 'interleaved'] as const)('rope %s with invFreq and mscale 1.3 (mscale Rᵀ)', (style) => {
    const invFreq = Float32Array.of(0.9, 0.21, 0.05);
    const dims: RopeDims = { B: 1, T: 4, H: 2, Dh: 8, r: 6, style, invFreq, mscale: 1.3 };
    const x = randomF32(4 * 2 * 8, 16);
    check(
      'rope scaled',
      ([a]) => ropeCpu(a, dims, 100),
      [x],
      (r) => [g.ropeBackwardCpu(r, dims, 100)],
    );
  });

  it('maskedMeanPool (fractional weights, an all-padding row)', () => {
    const d = { B: 3, T: 3, D: 2 };
    const mask = Float32Array.of(1, 1, 0, 0.5, 1, 1, 0, 0, 0);
    const x = randomF32(3 * 3 * 2, 16);
    check(
      'meanpool',
      ([a]) => maskedMeanPoolCpu(a, mask, d),
      [x],
      (r) => [g.maskedMeanPoolBackwardCpu(mask, r, d)],
    );
  });

  it.each(['cls', 'last'] as const)('pool %s (a row with no real token)', (mode) => {
    const d = { B: 3, T: 3, D: 2 };
    const mask = Float32Array.of(1, 1, 0, 1, 1, 1, 0, 0, 0);
    const x = randomF32(3 * 3 * 2, 17);
    check(
      mode,
      ([a]) => poolCpu(a, mask, d, mode),
      [x],
      (r) => [g.poolBackwardCpu(mask, r, d, mode)],
    );
  });
});

describe('finite-difference checks of attention backward', () => {
  const cases: [string, AttentionDims, boolean, number[]][] = [
    ['full, padding', { B: 2, T: 4, Hq: 2, Hkv: 2, Dh: 3 }, false, [1, 1, 1, 0, 1, 1, 0, 0]],
    ['causal', { B: 1, T: 4, Hq: 2, Hkv: 2, Dh: 3 }, true, [1, 1, 1, 1]],
    ['GQA 4:2, causal + padding', { B: 2, T: 3, Hq: 4, Hkv: 2, Dh: 2 }, true, [1, 1, 0, 1, 1, 1]],
    ['GQA 3:1, no key visible to query 0', { B: 1, T: 3, Hq: 3, Hkv: 1, Dh: 2 }, true, [0, 1, 1]],
  ];
  it.each(cases)('%s', (_name, d, causal, m) => {
    const mask = Float32Array.from(m);
    const opts = { causal, scale: 0.8 };
    const q = randomF32(d.B * d.T * d.Hq * d.Dh, 20, -1.5, 1.5);
    const k = randomF32(d.B * d.T * d.Hkv * d.Dh, 21, -1.5, 1.5);
    const v = randomF32(d.B * d.T * d.Hkv * d.Dh, 22);
    const f: Forward = ([a, b, c]) => attentionCpu(a, b, c, mask, d, opts);
    let o: ReturnType<typeof attentionBackwardCpu> = attentionBackwardCpu(
      q,
      k,
      v,
      mask,
      new Float32Array(q.length),
      d,
      opts,
    );
    check('attention', f, [q, k, v], (r) => {
      o = attentionBackwardCpu(q, k, v, mask, r, d, opts);
      return [o.dq, o.dk, o.dv];
    });
    // masked keys get exactly zero gradients
    for (let b = 0; b < d.B; b++) {
      for (let j = 0; j < d.T; j++) {
        if (mask[b * d.T + j] !== 0) continue;
        const o0 = (b * d.T + j) * d.Hkv * d.Dh;
        expect(Array.from(o.dk.subarray(o0, o0 + d.Hkv * d.Dh)).every((z) => z === 0)).toBe(true);
        expect(Array.from(o.dv.subarray(o0, o0 + d.Hkv * d.Dh)).every((z) => z === 0)).toBe(true);
      }
    }
  });
});
