import { describe, expect, it } from 'vitest';
import { rng } from '../testing/backends';
import { f16BitsToF32, f32ToF16Bits, packF16, roundF16, toF16Bits, unpackF16 } from './f16';

// Expected bit patterns checked against numpy: np.float32(v).astype(np.float16).view(np.uint16).
const CASES: [number, number][] = [
  [0.1, 0x2e66],
  [65504, 0x7bff],
  [65505, 0x7bff],
  [65519, 0x7bff], // just below the tie with 65536: stays at the largest half
  [65520, 0x7c00], // the tie rounds to even, i.e. to Inf
  [-65520, 0xfc00],
  [1, 0x3c00],
  [-2, 0xc000],
  [0, 0x0000],
  [-0, 0x8000],
  [2 ** -24, 0x0001], // smallest subnormal
  [2 ** -25, 0x0000], // half of it: tie to even (0)
  [3 * 2 ** -26, 0x0001], // 0.75 ulp: up
  [3 * 2 ** -25, 0x0002], // 1.5 ulp: tie to even (2)
  [5 * 2 ** -25, 0x0002], // 2.5 ulp: tie to even (2)
  [1023 * 2 ** -24, 0x03ff], // largest subnormal
  [2 ** -14 - 2 ** -25, 0x0400], // 1023.5 ulp: tie carries into the smallest normal
  [2 ** -14, 0x0400],
  [1 + 2 ** -11, 0x3c00], // tie between 1 and 1+2^-10: even (1)
  [1 + 3 * 2 ** -11, 0x3c02], // tie: even (1+2^-9)
  [1 + 2 ** -11 + 2 ** -20, 0x3c01], // just past the tie: up
  [2049, 0x6800],
  [2051, 0x6802],
  [1e-40, 0x0000], // f32 subnormal
  [-1e-40, 0x8000],
  [Infinity, 0x7c00],
  [-Infinity, 0xfc00],
];

describe('f16 conversion', () => {
  it.each(CASES)('%s -> bits %i', (v, bits) => {
    expect(f32ToF16Bits(v)).toBe(bits);
  });

  it('gives the values of hand-picked halves exactly', () => {
    expect(roundF16(0.1)).toBe(0.0999755859375);
    expect(roundF16(65504)).toBe(65504);
    expect(roundF16(65520)).toBe(Infinity);
    expect(roundF16(-65520)).toBe(-Infinity);
    expect(roundF16(2 ** -24)).toBe(2 ** -24);
    expect(roundF16(1023 * 2 ** -24)).toBe(1023 * 2 ** -24);
    expect(Object.is(roundF16(-0), -0)).toBe(true);
    expect(Object.is(roundF16(-1e-40), -0)).toBe(true);
  });

  it('keeps NaN a (quiet) NaN', () => {
    const h = f32ToF16Bits(NaN);
    expect(h & 0x7c00).toBe(0x7c00);
    expect(h & 0x3ff).not.toBe(0);
    expect(Number.isNaN(f16BitsToF32(h))).toBe(true);
    expect(Number.isNaN(roundF16(NaN))).toBe(true);
  });

  it('round-trips every finite half bit pattern', () => {
    for (let h = 0; h < 0x10000; h++) {
      if ((h & 0x7c00) === 0x7c00) continue;
      expect(f32ToF16Bits(f16BitsToF32(h))).toBe(h);
    }
  });

  it('picks the nearest half, ties to the even one, on 20k random f32 values', () => {
    const r = rng(7);
    const f = new Float32Array(1);
    for (let i = 0; i < 20000; i++) {
      f[0] = (r() - 0.5) * 2 ** Math.floor(r() * 44 - 28); // magnitudes from ~2^-29 to 2^15
      const v = f[0];
      const h = f32ToF16Bits(v);
      const got = f16BitsToF32(h);
      // neighbours of the chosen half (same sign); the chosen one must be at least as close
      for (const n of [h - 1, h + 1]) {
        if ((n & 0x7fff) > 0x7bff || (n & 0x8000) !== (h & 0x8000) || n < 0) continue;
        const other = f16BitsToF32(n);
        const dGot = Math.abs(v - got);
        const dOther = Math.abs(v - other);
        expect(dGot <= dOther, `v=${v} got=${got} other=${other}`).toBe(true);
        if (dGot === dOther && got !== 0) expect(h & 1, `tie at v=${v}`).toBe(0);
      }
    }
  });

  it('packs two halves per u32, element 2i low, as unpack2x16float reads them', () => {
    const bits = toF16Bits(Float32Array.of(1, -2, 0.1));
    const words = packF16(bits);
    expect([...words]).toEqual([0xc0003c00, 0x00002e66]);
    expect([...unpackF16(words, 3)]).toEqual([1, -2, Math.fround(0.0999755859375)]);
  });

  it('toF16Bits rejects values that are not finite as halves, naming the element', () => {
    expect(() => toF16Bits(Float32Array.of(1, 65520))).toThrow(/element 1 \(65520\)/);
    expect(() => toF16Bits(Float32Array.of(NaN))).toThrow(RangeError);
    expect(() => toF16Bits(Float32Array.of(0, 0, -Infinity))).toThrow(/element 2/);
    expect([...toF16Bits(Float32Array.of(65519, -65504))]).toEqual([0x7bff, 0xfbff]);
  });
});
