/**
 * Exact selection by rank over the magnitudes of a task vector, without sorting (CPU reference of
 * shaders/merge_select.wgsl). Element i of δ (n elements) has the unique 64-bit key
 *   hi = the f32 bits of |δ_i| (sign cleared; integer order = magnitude order), lo = DESC ? n−1−i : i,
 * so equal magnitudes are ordered by index: DESC puts the lower index above (top-k: "ties by lower index"),
 * ascending puts it below (breadcrumbs' and DELLA's ascending ranks). select(r) is the key at ascending
 * rank r (0-based), found by radix selection: 8-bit digits from the top, one 256-bin histogram of the
 * candidates still matching the prefix per digit. r = n gives the sentinel above every key.
 */

export interface Key {
  hi: number;
  lo: number;
}

/** Above every real key (|δ| bits are at most 0x7fffffff). */
export const SENTINEL: Key = { hi: 0xffffffff, lo: 0xffffffff };

/** One radix pass: which word of the key and the digit's shift; mask: the bits above the digit. */
export interface DigitPass {
  word: 0 | 1;
  shift: number;
  maskHi: number;
  maskLo: number;
}

/** Bits of the lo word: the index bits rounded up to whole digits (at least one digit). */
export function loBits(n: number): number {
  const b = n <= 1 ? 1 : Math.ceil(Math.log2(n));
  return 8 * Math.max(1, Math.ceil(b / 8));
}

/** the bits at positions [shift + 8, width) */
function above(shift: number, width: number): number {
  if (shift + 8 >= width) return 0;
  return 2 ** width - 2 ** (shift + 8);
}

/** The digit passes for n elements: four over hi, then loBits(n)/8 over lo. */
export function digitPasses(n: number): DigitPass[] {
  const out: DigitPass[] = [];
  for (let s = 24; s >= 0; s -= 8) out.push({ word: 0, shift: s, maskHi: above(s, 32), maskLo: 0 });
  const B = loBits(n);
  for (let s = B - 8; s >= 0; s -= 8)
    out.push({ word: 1, shift: s, maskHi: 0xffffffff, maskLo: above(s, B) });
  return out;
}

/** |δ| bits of every element. */
export function magnitudeBits(delta: Float32Array): Uint32Array {
  const bits = new Uint32Array(delta.buffer, delta.byteOffset, delta.length);
  const out = new Uint32Array(delta.length);
  for (let i = 0; i < out.length; i++) out[i] = bits[i] & 0x7fffffff;
  return out;
}

export function keyLo(i: number, n: number, desc: boolean): number {
  return desc ? n - 1 - i : i;
}

/** a ≥ b in key order */
export function keyGE(hi: number, lo: number, b: Key): boolean {
  return hi > b.hi || (hi === b.hi && lo >= b.lo);
}

/** The key at ascending rank r of the n keys (mag[i], keyLo(i)); r ≥ n gives SENTINEL. */
export function selectKey(mag: Uint32Array, desc: boolean, r: number): Key {
  const n = mag.length;
  if (r >= n) return SENTINEL;
  let cand = new Uint32Array(n);
  for (let i = 0; i < n; i++) cand[i] = i;
  let count = n;
  let rank = r;
  let hi = 0;
  let lo = 0;
  const hist = new Uint32Array(256);
  for (const pass of digitPasses(n)) {
    hist.fill(0);
    const digit = (i: number) =>
      pass.word === 0 ? (mag[i] >>> pass.shift) & 255 : (keyLo(i, n, desc) >>> pass.shift) & 255;
    for (let c = 0; c < count; c++) hist[digit(cand[c])]++;
    let b = 0;
    while (b < 255 && rank >= hist[b]) rank -= hist[b++];
    if (pass.word === 0) hi = (hi | (b << pass.shift)) >>> 0;
    else lo = (lo | (b << pass.shift)) >>> 0;
    const next = new Uint32Array(hist[b]);
    let m = 0;
    for (let c = 0; c < count; c++) if (digit(cand[c]) === b) next[m++] = cand[c];
    cand = next;
    count = m;
  }
  return { hi, lo };
}

/**
 * Keep exactly the elements whose ascending key rank lies in [lower, upper) (ranks clamped to [0, n]):
 * select both bounds, then keep L ≤ key < U.
 */
export function rankRangeMask(mag: Uint32Array, desc: boolean, lower: number, upper: number): Uint8Array {
  const n = mag.length;
  const L = selectKey(mag, desc, lower);
  const U = selectKey(mag, desc, upper);
  const keep = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const lo = keyLo(i, n, desc);
    keep[i] = keyGE(mag[i], lo, L) && !keyGE(mag[i], lo, U) ? 1 : 0;
  }
  return keep;
}
