/**
 * int8 weight-only quantisation per stored row (a linear's output channel for 'nk' weights [out, in]):
 * symmetric, scale s = max|w_row| / 127, q = round(w / s) in [-127, 127] (ties away from zero), w ≈ q·s
 * rounded to f32. The GPU layout (shaders/lib/linear_weights_q8.wgsl): the values four per u32 word
 * (element 4i in the low byte), then the rows' scales as f32 bits, in one buffer.
 */

export interface Q8 {
  readonly q: Int8Array;
  /** one per row */
  readonly scales: Float32Array;
}

/** Quantises a [rows, cols] matrix; throws a RangeError naming the first non-finite element. */
export function quantizeQ8(data: Float32Array, rows: number, cols: number, what = 'tensorQ8'): Q8 {
  if (rows * cols !== data.length)
    throw new RangeError(`${what}: ${data.length} values for [${rows}, ${cols}]`);
  const q = new Int8Array(data.length);
  const scales = new Float32Array(rows);
  for (let r = 0; r < rows; r++) {
    let max = 0;
    for (let c = 0; c < cols; c++) {
      const v = data[r * cols + c];
      if (!Number.isFinite(v)) throw new RangeError(`${what}: element ${r * cols + c} (${v}) is not finite`);
      max = Math.max(max, Math.abs(v));
    }
    const s = Math.fround(max / 127);
    scales[r] = s;
    if (s === 0) continue;
    for (let c = 0; c < cols; c++) {
      const v = data[r * cols + c] / s;
      q[r * cols + c] = Math.max(-127, Math.min(127, Math.sign(v) * Math.round(Math.abs(v))));
    }
  }
  return { q, scales };
}

/** The values the quantised matrix stands for: q·s of its row, rounded to f32 (what the kernel multiplies). */
export function dequantQ8({ q, scales }: Q8, cols: number): Float32Array {
  const out = new Float32Array(q.length);
  for (let i = 0; i < q.length; i++) out[i] = q[i] * scales[Math.floor(i / cols)];
  return out;
}

/** u32 words of a q8 tensor on the GPU: ceil(n/4) words of values, then one word per row scale. */
export function packQ8({ q, scales }: Q8): Uint32Array {
  const n = Math.ceil(q.length / 4);
  const words = new Uint32Array(n + scales.length);
  for (let i = 0; i < q.length; i++) words[i >>> 2] |= (q[i] & 0xff) << ((i & 3) * 8);
  words.set(new Uint32Array(scales.buffer, scales.byteOffset, scales.length), n);
  return words;
}

/** The dequantised values of packed words of a [rows, cols] q8 tensor. */
export function unpackQ8(words: Uint32Array, rows: number, cols: number): Float32Array {
  const size = rows * cols;
  const n = Math.ceil(size / 4);
  const q = new Int8Array(size);
  for (let i = 0; i < size; i++) q[i] = (words[i >>> 2] >>> ((i & 3) * 8)) & 0xff;
  const scales = new Float32Array(
    words.buffer.slice(words.byteOffset + n * 4, words.byteOffset + (n + rows) * 4),
  );
  return dequantQ8({ q, scales }, cols);
}

/** u32 words a q8 tensor of this shape takes on the GPU. */
export function q8Words(shape: readonly number[]): number {
  const size = shape.reduce((a, b) => a * b, 1);
  return Math.ceil(size / 4) + (shape[0] ?? 0);
}
