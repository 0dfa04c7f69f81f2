/**
 * Attention for the CPU backend on the WebAssembly gemm: the heads are laid out in the engine's heap
 * (Q per (batch, query head) as [T4, Dh], Kᵀ per (batch, kv head) as [Dh, Tk8], V as [Tk8, Dh8], both in the
 * kernel's column panels; padded keys zeroed) and each (batch, query head) is one chunk of a job that the engine's threads share:
 * S = Q·Kᵀ, masked softmax (×scale) in place, O = P·V (thread-kernels.ts). Same semantics as attentionCpu
 * (the reference): padding mask on keys, optional causal mask, grouped-query heads, rows with no visible key
 * -> 0, keys past the queries (Tk >= T, a KV cache: query i at position Tk - T + i), softcap and sliding
 * window (attentionKeyRange, softcapScore).
 */
import type { AttentionDims } from '../../kernels/attention';
import type { AttentionOptions } from '../../core/transformer-ops';
import type { WasmGemm } from './gemm';
import { KIND_ATTENTION } from './thread-kernels';

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
  ];
  const offs: number[] = [];
  try {
    for (const n of sizes) offs.push(gemm.alloc(n * 4));
    const [qO, kO, vO, oO, sO, mO] = offs;
    const heap = gemm.f32;
    const view = (i: number) => heap.subarray(offs[i] / 4, offs[i] / 4 + sizes[i]);
    const [qh, kh, vh, mh] = [view(0), view(1), view(2), view(5)];
    mh.set(mask.subarray(0, B * Tk));
    mh.fill(0, B * Tk);
    qh.fill(0);
    kh.fill(0);
    vh.fill(0);
    for (let b = 0; b < B; b++) {
      for (let t = 0; t < T; t++)
        for (let h = 0; h < Hq; h++) {
          const src = ((b * T + t) * Hq + h) * Dh;
          qh.set(q.subarray(src, src + Dh), ((b * Hq + h) * T4 + t) * Dh);
        }
      for (let t = 0; t < Tk; t++) {
        // padded keys take no part: left zero so non-finite padding values cannot leak through 0 * Inf
        if (mask[b * Tk + t] === 0) continue;
        // the kernel's B operands in column panels of 8 (gemm.ts packPanels): Kᵀ [Dh, Tk8], V [Tk8, Dh8]
        for (let g = 0; g < Hkv; g++) {
          const src = ((b * Tk + t) * Hkv + g) * Dh;
          const kb = (b * Hkv + g) * Dh * Tk8 + (t >> 3) * Dh * 8 + (t & 7);
          for (let d = 0; d < Dh; d++) kh[kb + d * 8] = k[src + d];
          const vb = (b * Hkv + g) * Tk8 * Dh8 + t * 8;
          for (let d = 0; d < Dh; d++) vh[vb + (d >> 3) * Tk8 * 8 + (d & 7)] = v[src + d];
        }
      }
    }
    const params = [
      qO,
      kO,
      vO,
      oO,
      sO,
      mO,
      T,
      T4,
      Tk,
      Tk8,
      Dh,
      Dh8,
      Hq,
      Hq / Hkv,
      opts.causal ? 1 : 0,
      Tk - T,
    ];
    params.push(opts.window ?? 0);
    gemm.engine.post(KIND_ATTENTION, params, B * Hq, [opts.scale, opts.softcap ?? 0]);
    const oh = gemm.f32.subarray(oO / 4, oO / 4 + sizes[3]);
    for (let b = 0; b < B; b++)
      for (let h = 0; h < Hq; h++)
        for (let t = 0; t < T; t++) {
          const src = ((b * Hq + h) * T4 + t) * Dh8;
          out.set(oh.subarray(src, src + Dh), ((b * T + t) * Hq + h) * Dh);
        }
  } finally {
    for (const o of offs) gemm.free(o);
  }
  return out;
}
