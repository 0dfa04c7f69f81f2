/**
 * Attention for the CPU backend as two matrix products per (batch, head) on the WebAssembly gemm:
 * S = Q·Kᵀ·scale, masked softmax in JS, O = P·V. Same semantics as attentionCpu (the reference):
 * padding mask on keys, optional causal mask, grouped-query heads, rows with no visible key -> 0, keys past
 * the queries (Tk >= T, a KV cache: query i at position Tk - T + i), softcap and sliding window.
 */
import { attentionKeyRange, softcapScore, type AttentionDims } from '../../kernels/attention';
import type { AttentionOptions } from '../../core/transformer-ops';
import type { WasmGemm } from './gemm';

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
  const past = Tk - T;
  const group = Hq / Hkv;
  const out = new Float32Array(B * T * Hq * Dh);
  const qh = new Float32Array(T * Dh);
  const kh = new Float32Array(Tk * Dh);
  const vh = new Float32Array(Tk * Dh);
  for (let b = 0; b < B; b++) {
    for (let g = 0; g < Hkv; g++) {
      for (let t = 0; t < Tk; t++) {
        const o = ((b * Tk + t) * Hkv + g) * Dh;
        if (mask[b * Tk + t] === 0) {
          // padded keys take no part: zero them so non-finite padding values cannot leak through 0 * Inf
          kh.fill(0, t * Dh, (t + 1) * Dh);
          vh.fill(0, t * Dh, (t + 1) * Dh);
          continue;
        }
        kh.set(k.subarray(o, o + Dh), t * Dh);
        vh.set(v.subarray(o, o + Dh), t * Dh);
      }
      for (let h = g * group; h < (g + 1) * group; h++) {
        for (let t = 0; t < T; t++) {
          const o = ((b * T + t) * Hq + h) * Dh;
          qh.set(q.subarray(o, o + Dh), t * Dh);
        }
        const s = gemm.linear(qh, kh, null, T, Dh, Tk, 'nk', false);
        const visible = new Uint8Array(T);
        for (let i = 0; i < T; i++) {
          const row = i * Tk;
          let m = -Infinity;
          const [lo, hi] = attentionKeyRange(past + i, Tk, opts);
          for (let j = 0; j < Tk; j++) {
            if (mask[b * Tk + j] === 0 || j < lo || j >= hi) {
              s[row + j] = -Infinity;
              continue;
            }
            s[row + j] = softcapScore(s[row + j] * opts.scale, opts.softcap);
            if (s[row + j] > m) m = s[row + j];
          }
          if (m === -Infinity) {
            s.fill(0, row, row + Tk);
            continue;
          }
          visible[i] = 1;
          let sum = 0;
          for (let j = 0; j < Tk; j++) {
            const p = s[row + j] === -Infinity ? 0 : Math.exp(s[row + j] - m);
            s[row + j] = p;
            sum += p;
          }
          const inv = 1 / sum;
          for (let j = 0; j < Tk; j++) s[row + j] *= inv;
        }
        const o = gemm.linear(s, vh, null, T, Tk, Dh, 'kn', false);
        for (let t = 0; t < T; t++) {
          if (!visible[t]) continue;
          out.set(o.subarray(t * Dh, (t + 1) * Dh), ((b * T + t) * Hq + h) * Dh);
        }
      }
    }
  }
  return out;
}
