/** IEEE half (f16) and bfloat16 <-> f32 conversions (round to nearest even when narrowing). */

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

// f16 conversions are the kernels' (src/kernels/f16.ts: round to nearest even, overflow to Inf, NaN kept)
export { f16BitsToF32 as f16ToF32, f32ToF16Bits as f32ToF16 } from '../../kernels/f16';
import { f16BitsToF32 } from '../../kernels/f16';

/** One bf16 bit pattern -> its f32 value (bit-exact: bf16 is the top half of an f32). */
export function bf16ToF32(h: number): number {
  u32[0] = (h & 0xffff) << 16;
  return f32[0];
}

/** f32 -> nearest bf16 bit pattern (ties to even; NaN stays NaN). */
export function f32ToBf16(x: number): number {
  f32[0] = x;
  const bits = u32[0];
  if ((bits & 0x7f800000) === 0x7f800000 && bits & 0x7fffff) return ((bits >>> 16) | 0x40) & 0xffff;
  const rounded = bits + 0x7fff + ((bits >>> 16) & 1);
  return (rounded >>> 16) & 0xffff;
}

/** Lookup table for all 65536 f16 patterns, built on first use. */
let f16Table: Float32Array | null = null;
export function f16ArrayToF32(src: Uint16Array): Float32Array {
  if (!f16Table) {
    f16Table = new Float32Array(65536);
    for (let i = 0; i < 65536; i++) f16Table[i] = f16BitsToF32(i);
  }
  const t = f16Table;
  const out = new Float32Array(src.length);
  for (let i = 0; i < src.length; i++) out[i] = t[src[i]];
  return out;
}

export function bf16ArrayToF32(src: Uint16Array): Float32Array {
  const out = new Uint32Array(src.length);
  for (let i = 0; i < src.length; i++) out[i] = src[i] << 16;
  return new Float32Array(out.buffer);
}
