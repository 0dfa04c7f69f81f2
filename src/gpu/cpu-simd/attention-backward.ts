/**
 * attention backward for the CPU backend on the WebAssembly gemm, per (batch, kv head, query head):
 * S = Q·Kᵀ·scale -> masked softmax P (JS), dP = dY·Vᵀ, dS = P ⊙ (dP - rowsum(P ⊙ dP)) · scale,
 * dQ = dS·K, dK += dSᵀ·Q, dV += Pᵀ·dY (summed over the query heads sharing a kv head).
 * softcap: scores c·tanh(s/c), dS also times 1 - (score/c)^2. Same semantics as attentionBackwardCpu (the
 * f64 reference); accumulation here is f32.
 */
import { attentionKeyRange, softcapScore, type AttentionDims } from '../../kernels/attention';
import type { AttentionOptions } from '../../core/transformer-ops';
import type { WasmGemm } from './gemm';

function transposeSquare(a: Float32Array, n: number): Float32Array {
  const t = new Float32Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) t[j * n + i] = a[i * n + j];
  return t;
}

export function attentionBackwardGemm(
  gemm: WasmGemm,
  q: Float32Array,
  k: Float32Array,
  v: Float32Array,
  mask: Float32Array,
  dy: Float32Array,
  dims: AttentionDims,
  opts: AttentionOptions,
): { dq: Float32Array; dk: Float32Array; dv: Float32Array } {
  const { B, T, Hq, Hkv, Dh } = dims;
  const group = Hq / Hkv;
  const dq = new Float32Array(B * T * Hq * Dh);
  const dk = new Float32Array(B * T * Hkv * Dh);
  const dv = new Float32Array(B * T * Hkv * Dh);
  const [qh, dyh, kh, vh] = [0, 1, 2, 3].map(() => new Float32Array(T * Dh));
  const cap = opts.softcap ?? 0;
  const capGrad = new Float32Array(T).fill(1);
  for (let b = 0; b < B; b++) {
    for (let g = 0; g < Hkv; g++) {
      for (let t = 0; t < T; t++) {
        const o = ((b * T + t) * Hkv + g) * Dh;
        const real = mask[b * T + t] !== 0;
        // padded keys take no part: zeros, so non-finite padding cannot leak through 0 * Inf
        if (real) kh.set(k.subarray(o, o + Dh), t * Dh);
        else kh.fill(0, t * Dh, (t + 1) * Dh);
        if (real) vh.set(v.subarray(o, o + Dh), t * Dh);
        else vh.fill(0, t * Dh, (t + 1) * Dh);
      }
      const dkh = new Float32Array(T * Dh);
      const dvh = new Float32Array(T * Dh);
      for (let h = g * group; h < (g + 1) * group; h++) {
        for (let t = 0; t < T; t++) {
          const o = ((b * T + t) * Hq + h) * Dh;
          qh.set(q.subarray(o, o + Dh), t * Dh);
          dyh.set(dy.subarray(o, o + Dh), t * Dh);
        }
        const p = gemm.linear(qh, kh, null, T, Dh, T, 'nk', false);
        const dp = gemm.linear(dyh, vh, null, T, Dh, T, 'nk', false);
        for (let i = 0; i < T; i++) {
          const row = i * T;
          let m = -Infinity;
          const [lo, hi] = attentionKeyRange(i, T, opts);
          for (let j = 0; j < T; j++) {
            if (mask[b * T + j] === 0 || j < lo || j >= hi) p[row + j] = -Infinity;
            else {
              p[row + j] = softcapScore(p[row + j] * opts.scale, cap);
              if (cap) capGrad[j] = 1 - (p[row + j] / cap) ** 2;
            }
            if (p[row + j] > m) m = p[row + j];
          }
          if (m === -Infinity) {
            p.fill(0, row, row + T);
            dp.fill(0, row, row + T);
            continue;
          }
          let sum = 0;
          for (let j = 0; j < T; j++) {
            const e = p[row + j] === -Infinity ? 0 : Math.exp(p[row + j] - m);
            p[row + j] = e;
            sum += e;
          }
          let delta = 0;
          for (let j = 0; j < T; j++) {
            p[row + j] /= sum;
            delta += p[row + j] * dp[row + j];
          }
          // dp becomes dS (scaled); masked entries have p = 0 and get 0
          for (let j = 0; j < T; j++)
            dp[row + j] = p[row + j] * (dp[row + j] - delta) * capGrad[j] * opts.scale;
        }
        const dqh = gemm.linear(dp, kh, null, T, T, Dh, 'kn', false);
        for (let t = 0; t < T; t++) dq.set(dqh.subarray(t * Dh, (t + 1) * Dh), ((b * T + t) * Hq + h) * Dh);
        const dkp = gemm.linear(transposeSquare(dp, T), qh, null, T, T, Dh, 'kn', false);
        const dvp = gemm.linear(transposeSquare(p, T), dyh, null, T, T, Dh, 'kn', false);
        for (let i = 0; i < T * Dh; i++) {
          dkh[i] += dkp[i];
          dvh[i] += dvp[i];
        }
      }
      for (let t = 0; t < T; t++) {
        const o = ((b * T + t) * Hkv + g) * Dh;
        dk.set(dkh.subarray(t * Dh, (t + 1) * Dh), o);
        dv.set(dvh.subarray(t * Dh, (t + 1) * Dh), o);
      }
    }
  }
  return { dq, dk, dv };
}
