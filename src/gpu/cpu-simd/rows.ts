/**
 * The CPU backend's elementwise fast paths on the gemm's module and threads: exact GELU (gemm.wat's gelu,
 * f32 SIMD, erf by Abramowitz & Stegun 7.1.26) over the engine's threads, a block of floats per chunk.
 * The JS reference (kernels/activation.ts activationCpu) evaluates erf in f64; this path is within
 * 3e-7·max(1, |v|) of it (rows.test.ts).
 */
import type { WasmGemm } from './gemm';
import { KIND_GELU } from './thread-kernels';

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
