import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ShapeError, type Backend } from '../core/backend';
import { assertClose, backendCases, randomF32 } from '../testing/backends';
import { ropeCpu, type RopeDims } from './rope';

// Tolerance: |got - ref| <= 1e-5 * |ref| + 1e-5 for positions < 64. The kernel forms angles t * inv in f32
// (as HF's f32 rotary cache does), so its angle error grows like t * 2^-23 rad; T = 512 is checked at 1e-4.
const RTOL = 1e-5;
const ATOL = 1e-5;

function pairNorms(x: Float32Array, d: RopeDims): number[] {
  const out: number[] = [];
  for (let row = 0; row < d.B * d.T * d.H; row++) {
    for (let i = 0; i < d.r / 2; i++) {
      const [a, b] = d.style === 'half' ? [i, i + d.r / 2] : [2 * i, 2 * i + 1];
      out.push(Math.hypot(x[row * d.Dh + a], x[row * d.Dh + b]));
    }
  }
  return out;
}

describe('ropeCpu', () => {
  it('is the identity at position 0 and rotates pair 0 by t radians', () => {
    const d: RopeDims = { B: 1, T: 3, H: 1, Dh: 4, r: 4, style: 'half' };
    const x = Float32Array.of(1, 2, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0);
    const y = ropeCpu(x, d, 100);
    expect([...y.subarray(0, 4)]).toEqual([1, 2, 0, 0]);
    // pair 0 = (dim 0, dim 2), frequency 1: (1, 0) -> (cos t, sin t)
    assertClose(
      [y[4], y[6], y[8], y[10]],
      [Math.cos(1), Math.sin(1), Math.cos(2), Math.sin(2)],
      1e-7,
      0,
      'pair0',
    );
    // pair 1 = (dim 1, dim 3), frequency 100^(-2/4) = 0.1: zero input stays zero
    expect([y[5], y[7]]).toEqual([0, 0]);
  });

  it('invFreq = theta^(-2i/r) matches the theta path; mscale scales every rotated dim', () => {
    const d: RopeDims = { B: 1, T: 6, H: 2, Dh: 8, r: 6, style: 'half' };
    const x = randomF32(6 * 2 * 8, 3);
    const invFreq = Float64Array.from([0, 1, 2], (i) => Math.pow(500, (-2 * i) / 6));
    const y = ropeCpu(x, d, 500);
    const yf = ropeCpu(x, { ...d, invFreq: Float32Array.from(invFreq) }, 500);
    assertClose(yf, y, 1e-6, 1e-6, 'invFreq');
    const ym = ropeCpu(x, { ...d, mscale: 2 }, 500);
    for (let j = 0; j < y.length; j++) expect(ym[j]).toBeCloseTo(j % 8 < 6 ? 2 * y[j] : y[j], 6);
  });

  it('preserves each pair norm, leaves dims past rotaryDim alone, and interleaved = half up to a permutation', () => {
    const d: RopeDims = { B: 2, T: 5, H: 3, Dh: 8, r: 6, style: 'half' };
    const x = randomF32(2 * 5 * 3 * 8, 4);
    const y = ropeCpu(x, d, 10000);
    assertClose(pairNorms(y, d), pairNorms(x, d), 1e-6, 0, 'norms');
    for (let row = 0; row < 30; row++)
      expect([y[row * 8 + 6], y[row * 8 + 7]]).toEqual([x[row * 8 + 6], x[row * 8 + 7]]);
    // permute half layout (i, i + 3) into interleaved (2i, 2i+1)
    const perm = [0, 3, 1, 4, 2, 5, 6, 7];
    const px = Float32Array.from(x, (_, j) => x[Math.floor(j / 8) * 8 + perm[j % 8]]);
    const yi = ropeCpu(px, { ...d, style: 'interleaved' }, 10000);
    expect([...yi]).toEqual(Array.from(y, (_, j) => y[Math.floor(j / 8) * 8 + perm[j % 8]]));
  });
});

describe.each(backendCases())('rope on $name', ({ make }) => {
  let be: Backend;
  beforeAll(async () => {
    be = await make();
  });
  afterAll(() => be?.destroy());

  // [B, T, H, Dh, rotaryDim, style, theta]
  const cases: [number, number, number, number, number, 'half' | 'interleaved', number][] = [
    [1, 1, 1, 2, 2, 'half', 10000],
    [2, 17, 3, 16, 12, 'half', 10000],
    [2, 17, 3, 16, 12, 'interleaved', 10000],
    [1, 64, 2, 64, 64, 'half', 1e6],
    [1, 9, 2, 10, 0, 'half', 10000],
    [1, 33, 4, 32, 8, 'interleaved', 500],
  ];
  it.each(cases)('B=%i T=%i H=%i Dh=%i r=%i %s theta=%d', async (B, T, H, Dh, r, style, theta) => {
    const x = randomF32(B * T * H * Dh, T * 7 + Dh, -2, 2);
    const y = be.rope(be.tensor(x, [B, T, H, Dh]), { theta, rotaryDim: r, style });
    expect(y.shape).toEqual([B, T, H, Dh]);
    assertClose(await be.readF32(y), ropeCpu(x, { B, T, H, Dh, r, style }, theta), RTOL, ATOL, 'rope');
  });

  it('defaults to rotaryDim = Dh, half style; T = 512 within 1e-4', async () => {
    const [B, T, H, Dh] = [1, 512, 1, 8];
    const x = randomF32(B * T * H * Dh, 77);
    const y = be.rope(be.tensor(x, [B, T, H, Dh]), { theta: 10000 });
    assertClose(
      await be.readF32(y),
      ropeCpu(x, { B, T, H, Dh, r: Dh, style: 'half' }, 10000),
      1e-4,
      1e-4,
      'rope-512',
    );
  });

  it('offset o rotates row t as position o + t: equal to the tail of a longer sequence (KV cache)', async () => {
    const [T, H, Dh, o] = [3, 2, 8, 13];
    const long = randomF32((o + T) * H * Dh, 91, -2, 2);
    const tail = long.slice(o * H * Dh);
    const d = { B: 1, H, Dh, r: Dh, style: 'half' as const };
    const want = ropeCpu(long, { ...d, T: o + T }, 10000).slice(o * H * Dh);
    assertClose(ropeCpu(tail, { ...d, T, offset: o }, 10000), want, 1e-12, 1e-12, 'cpu ref');
    const y = be.rope(be.tensor(tail, [1, T, H, Dh]), { theta: 10000, offset: o });
    assertClose(await be.readF32(y), want, RTOL, ATOL, 'rope offset');
    const back = be.ropeBackward(y, { theta: 10000, offset: o });
    assertClose(await be.readF32(back), tail, RTOL, ATOL, 'inverse with offset');
    expect(() => be.rope(be.tensor(tail, [1, T, H, Dh]), { theta: 1e4, offset: -1 })).toThrow(/offset/);
  });

  it.each(['half', 'interleaved'] as const)(
    'invFreq and mscale (%s): per-pair frequencies, cos and sin scaled',
    async (style) => {
      const [B, T, H, Dh, r] = [2, 19, 3, 12, 8];
      const invFreq = Float32Array.of(1.1, 0.37, 0.021, 0.0004);
      const x = randomF32(B * T * H * Dh, 5, -2, 2);
      const opts = { theta: 10000, rotaryDim: r, style, invFreq, mscale: 1.19 };
      const y = be.rope(be.tensor(x, [B, T, H, Dh]), opts);
      const want = ropeCpu(x, { B, T, H, Dh, r, style, invFreq, mscale: 1.19 }, 10000);
      assertClose(await be.readF32(y), want, RTOL, ATOL, 'rope scaled');
      // mscale * R has transpose mscale * Rᵀ: the backward of y scales the rotated dims by mscale^2
      const back = be.ropeBackward(y, opts);
      assertClose(
        await be.readF32(back),
        x.map((v, j) => (j % Dh < r ? v * 1.19 * 1.19 : v)),
        RTOL,
        ATOL,
        'backward',
      );
    },
  );

  it('rejects an invFreq of the wrong length and a non-positive mscale', () => {
    const x = be.tensor(new Float32Array(16), [1, 2, 1, 8]);
    expect(() => be.rope(x, { theta: 1e4, invFreq: new Float32Array(3) })).toThrow(
      /invFreq must hold rotaryDim\/2 = 4/,
    );
    expect(() => be.rope(x, { theta: 1e4, mscale: 0 })).toThrow(/mscale/);
  });

  it('rejects odd or oversized rotaryDim and non-positive theta', () => {
    const x = be.tensor(new Float32Array(16), [1, 2, 1, 8]);
    expect(() => be.rope(x, { theta: 1e4, rotaryDim: 5 })).toThrow(
      /rotaryDim must be an even integer in \[0, 8\]/,
    );
    expect(() => be.rope(x, { theta: 1e4, rotaryDim: 10 })).toThrow(ShapeError);
    expect(() => be.rope(x, { theta: 0 })).toThrow(/theta/);
    expect(() => be.rope(be.tensor(new Float32Array(8), [2, 4]), { theta: 1e4 })).toThrow(/rank 4/);
  });
});
