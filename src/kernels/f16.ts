/**
 * IEEE 754 binary16 (half) conversion for weights stored as f16: f32 -> f16 with round-to-nearest,
 * ties-to-even (what GPUs and numpy's astype(float16) do), f16 -> f32 (exact), and packing two halves
 * per u32 the way WGSL's `unpack2x16float` reads them (element 2i in the low 16 bits, little-endian,
 * so the same bytes are also a valid `array<f16>` where the device has `shader-f16`).
 */

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** Largest finite half. */
export const F16_MAX = 65504;

/** The binary16 bit pattern nearest to `v` (first rounded to f32). NaN stays NaN (quiet), |v| >= 65520 -> ±Inf. */
export function f32ToF16Bits(v: number): number {
  f32[0] = v;
  const x = u32[0];
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  const mant = x & 0x7fffff;
  if (exp === 0xff) return mant ? sign | 0x7e00 | (mant >>> 13) : sign | 0x7c00;
  const e = exp - 112; // re-biased exponent: 127 -> 15
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    // half subnormal: value = m * 2^-24; anything below 2^-25 (e < -10) rounds to zero
    if (e < -10) return sign;
    const full = mant | 0x800000;
    const shift = 14 - e;
    let m = full >>> shift;
    const rem = full & ((1 << shift) - 1);
    const half = 1 << (shift - 1);
    if (rem > half || (rem === half && m & 1)) m++; // may carry into the smallest normal: still correct
    return sign | m;
  }
  let h = (e << 10) | (mant >>> 13);
  const rem = mant & 0x1fff;
  if (rem > 0x1000 || (rem === 0x1000 && h & 1)) h++; // a carry into the exponent (up to Inf) is correct
  return sign | h;
}

/** The value of a binary16 bit pattern (exact in f32). */
export function f16BitsToF32(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >>> 10) & 0x1f;
  const m = h & 0x3ff;
  if (e === 0) return s * m * 2 ** -24;
  if (e === 0x1f) return m ? NaN : s * Infinity;
  return s * (1 + m / 1024) * 2 ** (e - 15);
}

/** `v` rounded to the nearest half, as a number. */
export function roundF16(v: number): number {
  return f16BitsToF32(f32ToF16Bits(v));
}

/** Every element rounded to the nearest half (the values an f16 weight tensor holds). */
export function roundF16Array(data: Float32Array): Float32Array {
  return data.map(roundF16);
}

/**
 * Half bit patterns of `data` for a weight tensor; throws a RangeError naming the first element that is
 * not finite as a half (NaN, ±Inf, or |v| >= 65520, which would round to Inf): WGSL does not promise
 * Inf/NaN semantics, and a silently infinite weight would poison every output it touches.
 */
export function toF16Bits(data: Float32Array, what = 'tensorF16'): Uint16Array {
  const out = new Uint16Array(data.length);
  for (let i = 0; i < data.length; i++) {
    const h = f32ToF16Bits(data[i]);
    if ((h & 0x7c00) === 0x7c00) {
      throw new RangeError(
        `${what}: element ${i} (${data[i]}) is not finite as f16 (|v| must be < 65520, max half ${F16_MAX})`,
      );
    }
    out[i] = h;
  }
  return out;
}

/** Two halves per u32: word i = bits[2i] | bits[2i+1] << 16 (an odd count leaves the last high half 0). */
export function packF16(bits: Uint16Array): Uint32Array {
  const words = new Uint32Array(Math.ceil(bits.length / 2));
  for (let i = 0; i < bits.length; i++) words[i >>> 1] |= bits[i] << ((i & 1) * 16);
  return words;
}

/** The first n halves of packed words, as f32 values. */
export function unpackF16(words: Uint32Array, n: number): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = f16BitsToF32((words[i >>> 1] >>> ((i & 1) * 16)) & 0xffff);
  return out;
}
