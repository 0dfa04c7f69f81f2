/**
 * The CPU backend's row fast paths on the gemm's module and threads: exact GELU (gemm.wat's gelu, f32 SIMD,
 * erf by Abramowitz & Stegun 7.1.26), a block of floats per chunk, and layer norm (gemm.wat's layernorm, in
 * f64 as the reference: only the order of the sums differs), a block of rows per chunk. The JS references
 * (activationCpu, layerNormCpu) work in f64; GELU here is within 3e-7·max(1, |v|) of it, layer norm within
 * 1.2e-7·max(1, |y|) (rows.test.ts). Outputs come from the pool (pool.ts).
 */
import type { WasmGemm } from './gemm';
import { KIND_GELU, KIND_LAYERNORM } from './thread-kernels';

/** floats per chunk (a multiple of 4): ~0.1 ms of one thread, so a busy helper delays little */
const GELU_CHUNK = 1 << 15;

export function geluWasm(gemm: WasmGemm, x: Float32Array): Float32Array {
  const n = x.length;
  if (n === 0) return new Float32Array(0);
  const y = gemm.pool.take(n);
  const n4 = Math.ceil(n / 4) * 4;
  const off = gemm.alloc(n4 * 4);
  try {
    const heap = gemm.f32.subarray(off / 4, off / 4 + n4);
    heap.set(x);
    heap.fill(0, n);
    gemm.engine.post(KIND_GELU, [off, n4, GELU_CHUNK], Math.ceil(n4 / GELU_CHUNK));
    y.set(gemm.f32.subarray(off / 4, off / 4 + n));
  } finally {
    gemm.free(off);
  }
  return y;
}

/** rows per layer-norm chunk: ~32k floats */
const LN_FLOATS = 1 << 15;

/** layer norm of x [rows, dim] over the engine's threads; dim % 4 == 0 (the caller keeps the JS loop otherwise) */
export function layerNormWasm(
  gemm: WasmGemm,
  x: Float32Array,
  gamma: Float32Array,
  beta: Float32Array | null,
  eps: number,
  rows: number,
  dim: number,
): Float32Array {
  if (rows * dim === 0) return new Float32Array(0);
  const y = gemm.pool.take(rows * dim);
  const sizes = [rows * dim, dim, dim, rows * dim];
  const offs: number[] = [];
  try {
    for (const n of sizes) offs.push(gemm.alloc(n * 4));
    const heap = gemm.f32;
    heap.set(x, offs[0] / 4);
    heap.set(gamma, offs[1] / 4);
    if (beta) heap.set(beta, offs[2] / 4);
    else heap.fill(0, offs[2] / 4, offs[2] / 4 + dim);
    const per = Math.max(1, Math.floor(LN_FLOATS / dim));
    const epsBits = new Int32Array(Float64Array.of(eps).buffer); // eps in f64, as the reference
    gemm.engine.post(KIND_LAYERNORM, [...offs, rows, dim, per, ...epsBits], Math.ceil(rows / per));
    y.set(gemm.f32.subarray(offs[3] / 4, offs[3] / 4 + rows * dim));
  } finally {
    for (const o of offs) gemm.free(o);
  }
  return y;
}
