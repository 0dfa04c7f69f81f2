/**
 * Attention for the CPU backend on the WebAssembly gemm: q, k, v are copied into the engine's heap and laid
 * out there by a first job, one (batch, kv head) per chunk (Q per (batch, query head) as [T4, Dh], Kᵀ per
 * (batch, kv head) as [Dh, Tk8], V as [Tk8, Dh8], both in the kernel's column panels; padded keys zeroed),
 * then each (batch, query head) is one chunk of a second job that the engine's threads share:
 * S = Q·Kᵀ, masked softmax (×scale) in place, O = P·V (thread-kernels.ts). Same semantics as attentionCpu
 * (the reference): padding mask on keys, optional causal mask, grouped-query heads, rows with no visible key
 * -> 0, keys past the queries (Tk >= T, a KV cache: query i at position Tk - T + i), softcap and sliding
 * window (attentionKeyRange, softcapScore).
 */
import type { AttentionDims } from '../../kernels/attention';
import type { AttentionOptions } from '../../core/transformer-ops';
import { SMALL_JOB, type WasmGemm } from './gemm';
import { KIND_ATTENTION, KIND_ATTENTION_PACK } from './thread-kernels';

const up = (n: number, m: number) => Math.ceil(n / m) * m;

export function attentionGemm(
  gemm: WasmGemm,
  q: Float32Array,
  k: Float32Array,
  v: Float32Array,
  mask: Float32Array,
  dims: AttentionDims,
  opts: AttentionOptions,
): Float32Array {
  const { B, T, Hq, Hkv, Dh } = dims;
  const Tk = dims.Tk ?? T;
  if (B * T * Hq * Dh === 0) return new Float32Array(0);
  const out = gemm.pool.take(B * T * Hq * Dh);
  const [T4, Tk8, Dh8] = [up(T, 4), up(Tk, 8), up(Dh, 8)];
  const threads = gemm.engine.threads;
  const sizes = [
    B * Hq * T4 * Dh,
    B * Hkv * Dh * Tk8,
    B * Hkv * Tk8 * Dh8,
    B * Hq * T4 * Dh8,
    threads * T4 * Tk8,
    B * Tk + 8, // softmax_row reads the mask in lanes of 4 past a row's last key
    q.length,
    k.length,
    v.length,
    out.length,
  ];
  const offs: number[] = [];
  try {
    for (const n of sizes) offs.push(gemm.alloc(n * 4));
    const [qO, kO, vO, oO, sO, mO, qr, kr, vr, outO] = offs;
    const heap = gemm.f32;
    const view = (i: number) => heap.subarray(offs[i] / 4, offs[i] / 4 + sizes[i]);
    const mh = view(5);
    mh.set(mask.subarray(0, B * Tk));
    mh.fill(0, B * Tk);
    view(6).set(q);
    view(7).set(k);
    view(8).set(v);
    // the operands in the kernel's layouts, one (batch, kv head) per chunk on the engine's threads
    const dims = [T, T4, Tk, Tk8, Dh, Dh8, Hq];
    // one short text (B = 1, ~12 tokens): too little work to share; the helpers are left asleep
    const solo = B * Hq * T4 * Tk8 * (Dh + Dh8) < SMALL_JOB;
    gemm.engine.post(KIND_ATTENTION_PACK, [qr, kr, vr, qO, kO, vO, mO, ...dims, Hkv], B * Hkv, [], solo);
    const params = [qO, kO, vO, oO, sO, mO, T, T4, Tk, Tk8, Dh, Dh8, Hq, Hq / Hkv, opts.causal ? 1 : 0];
    params.push(Tk - T, opts.window ?? 0, outO);
    gemm.engine.post(KIND_ATTENTION, params, B * Hq, [opts.scale, opts.softcap ?? 0], solo);
    out.set(gemm.f32.subarray(outO / 4, outO / 4 + out.length));
  } finally {
    for (const o of offs) gemm.free(o);
  }
  return out;
}
