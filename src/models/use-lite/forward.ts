/**
 * USE-lite's forward pass, once, on an op context (src/nn): embeddings added twice + concat timing, pre-norm
 * attention and ReLU FFN blocks with residual adds (layer 0 projects its residual), mean pool, tanh dense,
 * L2 norm (weights.ts documents the graph). Rows are [B*T, D] for the linears and norms (the ops act on the
 * last axis); attention and pooling see [B, T, ...] views. Linears go through the context's Linear source
 * by module path (USE_LITE_PATHS).
 */
import type { Backend, Tensor } from '../../core/backend';
import type { LinearWeights } from '../../nn/linear';
import type { LinearModule, Ops } from '../../nn/ops';
import type { HostLinear } from '../native';
import type { UseLiteWeights } from './weights';

/** Module path of each USE-lite linear (PEFT-style names, after the TF graph's scopes). */
const USE_LITE_PATHS = {
  q: (i: number) => `encoder.layers.${i}.attention.query`,
  k: (i: number) => `encoder.layers.${i}.attention.key`,
  v: (i: number) => `encoder.layers.${i}.attention.value`,
  o: (i: number) => `encoder.layers.${i}.attention.output`,
  residual: (i: number) => `encoder.layers.${i}.adjust_residual`,
  ffn1: (i: number) => `encoder.layers.${i}.ffn.conv1`,
  ffn2: (i: number) => `encoder.layers.${i}.ffn.conv2`,
  tanh: () => 'hidden_layers.tanh_layer_0',
};

/** Every linear of USE-lite, in forward order. */
export function linearsOfUseLite(w: UseLiteWeights): LinearModule[] {
  const P = USE_LITE_PATHS;
  const out: LinearModule[] = [];
  w.layers.forEach((L, i) => {
    out.push({ path: P.q(i), inDim: L.dIn, outDim: L.dIn });
    out.push({ path: P.k(i), inDim: L.dIn, outDim: L.dIn });
    out.push({ path: P.v(i), inDim: L.dIn, outDim: L.dIn });
    out.push({ path: P.o(i), inDim: L.dIn, outDim: L.dModel });
    if (L.residual) out.push({ path: P.residual(i), inDim: L.dIn, outDim: L.dModel });
    out.push({ path: P.ffn1(i), inDim: L.dModel, outDim: L.dFf });
    out.push({ path: P.ffn2(i), inDim: L.dFf, outDim: L.dModel });
  });
  out.push({ path: P.tanh(), inDim: w.outDim, outDim: w.outDim });
  return out;
}

/** The host weights ('kn': [in, out]) of the USE-lite linear at `path`. */
export function hostLinearOfUseLite(w: UseLiteWeights, path: string): HostLinear {
  const P = USE_LITE_PATHS;
  if (path === P.tanh()) return { w: w.tanhW, b: w.tanhB, layout: 'kn' };
  for (const [i, L] of w.layers.entries()) {
    const kn = (wt: Float32Array, b: Float32Array): HostLinear => ({ w: wt, b, layout: 'kn' });
    if (path === P.q(i)) return kn(L.wq, L.bq);
    if (path === P.k(i)) return kn(L.wk, L.bk);
    if (path === P.v(i)) return kn(L.wv, L.bv);
    if (path === P.o(i)) return kn(L.wo, L.bo);
    if (path === P.residual(i) && L.residual) return kn(L.residual.w, L.residual.b);
    if (path === P.ffn1(i)) return kn(L.w1, L.b1);
    if (path === P.ffn2(i)) return kn(L.w2, L.b2);
  }
  throw new Error(`USE-lite: no linear ${path}`);
}

/** The weights on one backend: the table, each layer's norms, every linear ('kn') by module path. */
export interface UseLiteDevice {
  readonly embeddings: Tensor;
  readonly norms: readonly { ln1: [Tensor, Tensor]; ln2: [Tensor, Tensor] }[];
  readonly linears: ReadonlyMap<string, LinearWeights>;
}

export function uploadUseLite(be: Backend, w: UseLiteWeights): UseLiteDevice {
  const t = (data: Float32Array, shape: number[]) => be.tensor(data, shape);
  const P = USE_LITE_PATHS;
  const linears = new Map<string, LinearWeights>();
  const lin = (path: string, wt: Float32Array, b: Float32Array, rows: number, cols: number) =>
    linears.set(path, { w: t(wt, [rows, cols]), b: t(b, [cols]) });
  const norms = w.layers.map((L, i) => {
    const ln1: [Tensor, Tensor] = [t(L.ln1.gamma, [L.dIn]), t(L.ln1.beta, [L.dIn])];
    lin(P.q(i), L.wq, L.bq, L.dIn, L.dIn);
    lin(P.k(i), L.wk, L.bk, L.dIn, L.dIn);
    lin(P.v(i), L.wv, L.bv, L.dIn, L.dIn);
    lin(P.o(i), L.wo, L.bo, L.dIn, L.dModel);
    if (L.residual) lin(P.residual(i), L.residual.w, L.residual.b, L.dIn, L.dModel);
    const ln2: [Tensor, Tensor] = [t(L.ln2.gamma, [L.dModel]), t(L.ln2.beta, [L.dModel])];
    lin(P.ffn1(i), L.w1, L.b1, L.dModel, L.dFf);
    lin(P.ffn2(i), L.w2, L.b2, L.dFf, L.dModel);
    return { ln1, ln2 };
  });
  lin(P.tanh(), w.tanhW, w.tanhB, w.outDim, w.outDim);
  return { embeddings: t(w.embeddings, [w.vocabRows, w.embDim]), norms, linears };
}

/** One right-padded batch of token ids -> L2-normalised rows [batch.length, outDim]. */
export function forwardUseLite(
  ops: Ops,
  w: UseLiteWeights,
  d: UseLiteDevice,
  batch: readonly (readonly number[])[],
): Tensor {
  const B = batch.length;
  const T = Math.max(1, ...batch.map((x) => x.length));
  const M = B * T;
  const idData = new Uint32Array(M);
  const maskData = new Float32Array(M);
  batch.forEach((x, b) => {
    idData.set(x, b * T);
    maskData.fill(1, b * T, b * T + x.length);
  });
  const idT = ops.input(idData, [M]);
  const mask = ops.input(maskData, [B, T]);
  const rows = ops.reshape(ops.gather(d.embeddings, idT), [B, T, w.embDim]);
  // the graph adds the embedding twice: x0 = e + (e + timing)
  const twice = ops.scale(rows, 2);
  const pos = ops.addPositional(twice, {
    kind: 'sinusoidal',
    layout: 'concat',
    minTimescale: w.minTimescale,
    maxTimescale: w.maxTimescale,
  });
  ops.free(idT, rows, twice);
  let x = ops.reshape(pos, [M, w.embDim]);
  for (let i = 0; i < w.layers.length; i++) x = layer(ops, w, d, i, x, mask, B, T);
  const last = ops.reshape(x, [B, T, w.outDim]);
  const pooled = ops.maskedMeanPool(last, mask);
  ops.free(last, mask);
  const pre = ops.linear(pooled, USE_LITE_PATHS.tanh());
  ops.free(pooled);
  const act = ops.activation(pre, 'tanh');
  ops.free(pre);
  const normed = ops.l2Normalize(act);
  ops.free(act);
  return normed;
}

/** One pre-norm block, x [B*T, dIn] -> [B*T, dModel]; consumes x. */
function layer(
  ops: Ops,
  w: UseLiteWeights,
  d: UseLiteDevice,
  i: number,
  x: Tensor,
  mask: Tensor,
  B: number,
  T: number,
): Tensor {
  const L = w.layers[i];
  const P = USE_LITE_PATHS;
  const { ln1, ln2 } = d.norms[i];
  const dh = L.dIn / L.heads;
  const h = ops.layerNorm(x, ln1[0], ln1[1], w.lnEps);
  const heads = (path: string) => ops.reshape(ops.linear(h, path), [B, T, L.heads, dh]);
  const q = heads(P.q(i));
  const k = heads(P.k(i));
  const v = heads(P.v(i));
  ops.free(h);
  const att = ops.attention(q, k, v, mask, { causal: false, scale: L.qScale });
  ops.free(q, k, v);
  const merged = ops.reshape(att, [B * T, L.dIn]);
  const o = ops.linear(merged, P.o(i));
  ops.free(merged);
  const res = L.residual ? ops.linear(x, P.residual(i)) : null;
  const x1 = ops.add(o, res ?? x);
  ops.free(o, x, ...(res ? [res] : []));
  const h2 = ops.layerNorm(x1, ln2[0], ln2[1], w.lnEps);
  const f1 = ops.linear(h2, P.ffn1(i));
  ops.free(h2);
  const r = ops.activation(f1, 'relu');
  ops.free(f1);
  const f2 = ops.linear(r, P.ffn2(i));
  ops.free(r);
  const x2 = ops.add(x1, f2);
  ops.free(x1, f2);
  return x2;
}
