/**
 * Plain-TypeScript forward pass of USE-lite, one text at a time and without padding, following the
 * TF.js graph op by op (see weights.ts). It is the test oracle for the backend implementation in
 * model.ts: it shares no code with the kernels and uses the graph's stored timing-signal constants.
 * Slow (about 0.5 GFLOP for a 128-token text): tests and debugging only.
 */
import type { UseLiteLayer, UseLiteWeights } from '../models/use-lite/weights';

/** y[T, N] = x[T, K] · w[K, N] + b */
function linear(
  x: Float32Array,
  T: number,
  K: number,
  w: Float32Array,
  b: Float32Array,
  N: number,
): Float32Array {
  const y = new Float32Array(T * N);
  const acc = new Float64Array(N);
  for (let t = 0; t < T; t++) {
    acc.fill(0);
    for (let k = 0; k < K; k++) {
      const xv = x[t * K + k];
      if (xv === 0) continue;
      const row = k * N;
      for (let n = 0; n < N; n++) acc[n] += xv * w[row + n];
    }
    for (let n = 0; n < N; n++) y[t * N + n] = acc[n] + b[n];
  }
  return y;
}

function layerNorm(
  x: Float32Array,
  T: number,
  D: number,
  g: Float32Array,
  b: Float32Array,
  eps: number,
): Float32Array {
  const y = new Float32Array(T * D);
  for (let t = 0; t < T; t++) {
    let mean = 0;
    for (let d = 0; d < D; d++) mean += x[t * D + d];
    mean /= D;
    let v = 0;
    for (let d = 0; d < D; d++) v += (x[t * D + d] - mean) ** 2;
    const r = 1 / Math.sqrt(v / D + eps);
    for (let d = 0; d < D; d++) y[t * D + d] = (x[t * D + d] - mean) * r * g[d] + b[d];
  }
  return y;
}

/** multi-head self-attention over T real tokens (no padding here, so no mask) */
function attention(h: Float32Array, T: number, L: UseLiteLayer): Float32Array {
  const D = L.dIn;
  const q = linear(h, T, D, L.wq, L.bq, D);
  const k = linear(h, T, D, L.wk, L.bk, D);
  const v = linear(h, T, D, L.wv, L.bv, D);
  const dh = D / L.heads;
  const out = new Float32Array(T * D);
  const p = new Float64Array(T);
  for (let hd = 0; hd < L.heads; hd++) {
    const o = hd * dh;
    for (let i = 0; i < T; i++) {
      let max = -Infinity;
      for (let j = 0; j < T; j++) {
        let s = 0;
        for (let d = 0; d < dh; d++) s += q[i * D + o + d] * L.qScale * k[j * D + o + d];
        p[j] = s;
        max = Math.max(max, s);
      }
      let sum = 0;
      for (let j = 0; j < T; j++) sum += p[j] = Math.exp(p[j] - max);
      for (let d = 0; d < dh; d++) {
        let s = 0;
        for (let j = 0; j < T; j++) s += p[j] * v[j * D + o + d];
        out[i * D + o + d] = s / sum;
      }
    }
  }
  return linear(out, T, D, L.wo, L.bo, L.dModel);
}

function transformerLayer(x: Float32Array, T: number, L: UseLiteLayer, eps: number): Float32Array {
  const a = attention(layerNorm(x, T, L.dIn, L.ln1.gamma, L.ln1.beta, eps), T, L);
  const res = L.residual ? linear(x, T, L.dIn, L.residual.w, L.residual.b, L.dModel) : x;
  const x1 = a.map((v, i) => v + res[i]);
  const h = linear(layerNorm(x1, T, L.dModel, L.ln2.gamma, L.ln2.beta, eps), T, L.dModel, L.w1, L.b1, L.dFf);
  for (let i = 0; i < h.length; i++) h[i] = Math.max(0, h[i]);
  const f = linear(h, T, L.dFf, L.w2, L.b2, L.dModel);
  return x1.map((v, i) => v + f[i]);
}

/** Embeds one tokenised text; returns the L2-normalised [outDim] vector (empty ids: the graph's empty row). */
export function forwardUseLiteReference(w: UseLiteWeights, ids: readonly number[]): Float32Array {
  const T = Math.min(ids.length, w.maxLength);
  const D = w.embDim;
  const half = D / 2;
  let x: Float32Array = new Float32Array(T * D);
  for (let t = 0; t < T; t++) {
    const id = ids[t];
    if (!(id >= 0 && id < w.vocabRows)) throw new Error(`token id ${id} out of range [0, ${w.vocabRows})`);
    for (let i = 0; i < half; i++) {
      const angle = Math.fround(t * w.invTimescales[i]);
      const e0 = w.embeddings[id * D + i];
      const e1 = w.embeddings[id * D + half + i];
      x[t * D + i] = e0 + (e0 + Math.sin(angle));
      x[t * D + half + i] = e1 + (e1 + Math.cos(angle));
    }
  }
  for (const L of w.layers) x = transformerLayer(x, T, L, w.lnEps);
  const dm = w.outDim;
  const pooled = new Float32Array(dm);
  for (let t = 0; t < T; t++) for (let d = 0; d < dm; d++) pooled[d] += x[t * dm + d];
  for (let d = 0; d < dm; d++) pooled[d] /= Math.max(T, 1);
  const y = linear(pooled, 1, dm, w.tanhW, w.tanhB, dm).map(Math.tanh);
  let ss = 0;
  for (const v of y) ss += v * v;
  const r = 1 / Math.sqrt(Math.max(ss, 1e-12));
  return y.map((v) => v * r);
}
