/**
 * USE-lite's forward pass with LoRA on its linears, mirroring UseLiteEmbedder.embedBatch/layer op for
 * op (same weights, already uploaded by the base embedder), plus its backward into the adapters only.
 * Rows are kept as [B*T, D] for the linears and norms (the ops act on the last axis, so this is the
 * same math as the base's [B, T, D]); attention and pooling see [B, T, ...] views.
 */
import type { Backend, Tensor } from '../core/backend';
import type { DeviceWeights, UseLiteEmbedder } from '../models/use-lite/model';
import {
  linearLora,
  linearLoraBackward,
  releaseTape,
  type Dropout,
  type LinearTape,
  type LoraGrad,
} from './lora-linear';
import type { LinearModule, LoraSet, TrainBackend } from './lora-modules';
import type { LoraModel } from './lora-model';

const LAYER_LINEARS = ['attention.query', 'attention.key', 'attention.value', 'attention.output'] as const;

/** Module path of each USE-lite linear (PEFT-style names, after the TF graph's scopes). */
export const USE_LITE_PATHS = {
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
export function linearsOfUseLite(base: UseLiteEmbedder): LinearModule[] {
  const w = base.weights;
  const out: LinearModule[] = [];
  w.layers.forEach((L, i) => {
    LAYER_LINEARS.forEach((n, j) =>
      out.push({ path: `encoder.layers.${i}.${n}`, inDim: L.dIn, outDim: j === 3 ? L.dModel : L.dIn }),
    );
    if (L.residual) out.push({ path: USE_LITE_PATHS.residual(i), inDim: L.dIn, outDim: L.dModel });
    out.push({ path: USE_LITE_PATHS.ffn1(i), inDim: L.dModel, outDim: L.dFf });
    out.push({ path: USE_LITE_PATHS.ffn2(i), inDim: L.dFf, outDim: L.dModel });
  });
  out.push({ path: USE_LITE_PATHS.tanh(), inDim: w.outDim, outDim: w.outDim });
  return out;
}

/**
 * The base embedder's batching: texts sorted by length (ties by index), a batch grows while its texts
 * are at most 1.3 x the shortest + 4 tokens, it holds <= batchSize texts and [B, T, dFf] fits one tensor.
 */
export function batchesLikeUseLite(
  base: UseLiteEmbedder,
  backend: Backend,
  ids: readonly number[][],
): number[][] {
  const order = ids.map((_, i) => i).sort((a, b) => ids[a].length - ids[b].length || a - b);
  const widest = Math.max(...base.weights.layers.map((L) => L.dFf));
  const out: number[][] = [];
  for (let start = 0; start < order.length;) {
    const limit = 1.3 * ids[order[start]].length + 4;
    let end = start + 1;
    while (end < order.length && end - start < base.batchSize) {
      const len = ids[order[end]].length;
      if (len > limit || (end - start + 1) * len * widest > backend.maxTensorElements) break;
      end++;
    }
    out.push(order.slice(start, end));
    start = end;
  }
  return out;
}

interface LayerTape {
  h: Tensor;
  q: Tensor;
  k: Tensor;
  v: Tensor;
  merged: Tensor;
  x1: Tensor;
  h2: Tensor;
  f1: Tensor;
  r: Tensor;
  lin: Map<string, LinearTape>;
}

/** One padded batch's forward: the normalised rows [B, dim] and, when training, what the backward needs. */
export interface BatchTape {
  readonly B: number;
  readonly T: number;
  readonly normed: Tensor;
  readonly mask: Tensor;
  /** inputs of each layer and the last layer's output, [B*T, D] */
  readonly xs: Tensor[];
  readonly layers: LayerTape[];
  readonly pooled: Tensor;
  readonly pre: Tensor;
  readonly act: Tensor;
  readonly top: LinearTape | null;
}

/** Forward of one padded batch of token ids; with save = false only `normed` is kept (and must be disposed). */
export function forwardBatch(
  base: UseLiteEmbedder,
  be: Backend,
  batch: readonly number[][],
  lora: LoraSet,
  dropout: Dropout | null,
  save: boolean,
): BatchTape {
  const w = base.weights;
  const dw: Readonly<DeviceWeights> = base.uploaded(be);
  const B = batch.length;
  const T = Math.max(1, ...batch.map((x) => x.length));
  const M = B * T;
  const idData = new Uint32Array(M);
  const maskData = new Float32Array(M);
  batch.forEach((x, b) => {
    idData.set(x, b * T);
    maskData.fill(1, b * T, b * T + x.length);
  });
  const idT = be.tensor(idData, [M]);
  const mask = be.tensor(maskData, [B, T]);
  const rows = be.reshape(be.gather(dw.embeddings, idT), [B, T, w.embDim]);
  const twice = be.scale(rows, 2);
  const pos = be.addPositional(twice, {
    kind: 'sinusoidal',
    layout: 'concat',
    minTimescale: w.minTimescale,
    maxTimescale: w.maxTimescale,
  });
  be.dispose(idT, rows, twice);
  const xs: Tensor[] = [be.reshape(pos, [M, w.embDim])];
  const layers: LayerTape[] = [];
  const lin = (
    x: Tensor,
    wt: readonly [Tensor, Tensor],
    path: string,
    tapes: Map<string, LinearTape> | null,
  ) => {
    const r = linearLora(be, x, wt[0], wt[1], 'kn', lora.pairs.get(path) ?? null, lora.scale, dropout, save);
    if (tapes && r.tape) tapes.set(path, r.tape);
    return r.y;
  };
  w.layers.forEach((L, i) => {
    const d = dw.layers[i];
    const x = xs[i];
    const dh = L.dIn / L.heads;
    const tapes = save ? new Map<string, LinearTape>() : null;
    const h = be.layerNorm(x, d.ln1[0], d.ln1[1], w.lnEps);
    const heads = (p: readonly [Tensor, Tensor], path: string) =>
      be.reshape(lin(h, p, path, tapes), [B, T, L.heads, dh]);
    const q = heads(d.q, USE_LITE_PATHS.q(i));
    const k = heads(d.k, USE_LITE_PATHS.k(i));
    const v = heads(d.v, USE_LITE_PATHS.v(i));
    const merged = be.reshape(be.attention(q, k, v, mask, { causal: false, scale: L.qScale }), [M, L.dIn]);
    const o = lin(merged, d.o, USE_LITE_PATHS.o(i), tapes);
    const res = d.residual ? lin(x, d.residual, USE_LITE_PATHS.residual(i), tapes) : null;
    const x1 = be.add(o, res ?? x);
    be.dispose(o, ...(res ? [res] : []));
    const h2 = be.layerNorm(x1, d.ln2[0], d.ln2[1], w.lnEps);
    const f1 = lin(h2, d.ffn1, USE_LITE_PATHS.ffn1(i), tapes);
    const r = be.activation(f1, 'relu');
    const f2 = lin(r, d.ffn2, USE_LITE_PATHS.ffn2(i), tapes);
    xs.push(be.add(x1, f2));
    be.dispose(f2);
    if (tapes) layers.push({ h, q, k, v, merged, x1, h2, f1, r, lin: tapes });
    else be.dispose(h, q, k, v, merged, x1, h2, f1, r, x);
  });
  const last = xs[xs.length - 1];
  const pooled = be.maskedMeanPool(be.reshape(last, [B, T, w.outDim]), mask);
  const topR = linearLora(
    be,
    pooled,
    dw.tanh[0],
    dw.tanh[1],
    'kn',
    lora.pairs.get(USE_LITE_PATHS.tanh()) ?? null,
    lora.scale,
    dropout,
    save,
  );
  const pre = topR.y;
  const act = be.activation(pre, 'tanh');
  const normed = be.l2Normalize(act);
  if (!save) {
    be.dispose(mask, last, pooled, pre, act);
    return { B, T, normed, mask, xs: [], layers: [], pooled, pre, act, top: null };
  }
  return { B, T, normed, mask, xs, layers, pooled, pre, act, top: topR.tape };
}

/** Frees everything a saved forward holds except `normed`. */
export function releaseBatch(be: Backend, t: BatchTape): void {
  for (const L of t.layers) {
    be.dispose(L.h, L.q, L.k, L.v, L.merged, L.x1, L.h2, L.f1, L.r);
    for (const lt of L.lin.values()) releaseTape(be, lt);
  }
  releaseTape(be, t.top);
  be.dispose(t.mask, t.pooled, t.pre, t.act, ...t.xs);
  t.layers.length = 0;
  t.xs.length = 0;
}

/** Backward of a saved forward given d(loss)/d(normed) [B, dim]; accumulates into `grads`, frees the tape (not normed). */
export function backwardBatch(
  base: UseLiteEmbedder,
  be: TrainBackend,
  t: BatchTape,
  dNormed: Tensor,
  grads: ReadonlyMap<string, LoraGrad>,
): void {
  const w = base.weights;
  const dw = base.uploaded(be);
  const { B, T } = t;
  const M = B * T;
  const g = (path: string) => grads.get(path) ?? null;
  const dAct = be.l2NormalizeBackward(t.act, dNormed);
  const dPre = be.activationBackward(t.pre, dAct, 'tanh');
  be.dispose(dAct);
  const dPooled = linearLoraBackward(be, t.top!, dw.tanh[0], dPre, g(USE_LITE_PATHS.tanh()), true)!;
  be.dispose(dPre);
  let dx: Tensor | null = be.reshape(be.maskedMeanPoolBackward(t.mask, dPooled, T), [M, w.outDim]);
  be.dispose(dPooled);
  for (let i = w.layers.length - 1; i >= 0; i--) {
    const L = w.layers[i];
    const d = dw.layers[i];
    const s = t.layers[i];
    const needDx = i > 0; // the embedding table is frozen: layer 0 needs no input gradient
    const lt = (path: string) => {
      const x = s.lin.get(path);
      if (!x) throw new Error(`LoRA backward: no saved forward for ${path}`);
      return x;
    };
    const dx2: Tensor = dx!;
    const dr = linearLoraBackward(
      be,
      lt(USE_LITE_PATHS.ffn2(i)),
      d.ffn2[0],
      dx2,
      g(USE_LITE_PATHS.ffn2(i)),
      true,
    )!;
    const df1 = be.activationBackward(s.f1, dr, 'relu');
    be.dispose(dr);
    const dh2 = linearLoraBackward(
      be,
      lt(USE_LITE_PATHS.ffn1(i)),
      d.ffn1[0],
      df1,
      g(USE_LITE_PATHS.ffn1(i)),
      true,
    )!;
    be.dispose(df1);
    const ln2 = be.layerNormBackward(s.x1, d.ln2[0], dh2, w.lnEps);
    be.dispose(dh2, ln2.dgamma, ln2.dbeta);
    const dx1 = be.add(dx2, ln2.dx);
    be.dispose(dx2, ln2.dx);
    const dMerged = linearLoraBackward(
      be,
      lt(USE_LITE_PATHS.o(i)),
      d.o[0],
      dx1,
      g(USE_LITE_PATHS.o(i)),
      true,
    )!;
    const dh = L.dIn / L.heads;
    const att = be.attentionBackward(s.q, s.k, s.v, t.mask, be.reshape(dMerged, [B, T, L.heads, dh]), {
      causal: false,
      scale: L.qScale,
    });
    be.dispose(dMerged);
    let dH: Tensor | null = null;
    for (const [grad, path, wt] of [
      [att.dq, USE_LITE_PATHS.q(i), d.q[0]],
      [att.dk, USE_LITE_PATHS.k(i), d.k[0]],
      [att.dv, USE_LITE_PATHS.v(i), d.v[0]],
    ] as const) {
      const part = linearLoraBackward(be, lt(path), wt, be.reshape(grad, [M, L.dIn]), g(path), needDx);
      be.dispose(grad);
      if (part && dH) {
        const sum = be.add(dH, part);
        be.dispose(dH, part);
        dH = sum;
      } else if (part) dH = part;
    }
    let dRes: Tensor | null = null;
    if (d.residual)
      dRes = linearLoraBackward(
        be,
        lt(USE_LITE_PATHS.residual(i)),
        d.residual[0],
        dx1,
        g(USE_LITE_PATHS.residual(i)),
        needDx,
      );
    if (needDx) {
      const ln1 = be.layerNormBackward(t.xs[i], d.ln1[0], dH!, w.lnEps);
      be.dispose(dH!, ln1.dgamma, ln1.dbeta);
      dx = be.add(ln1.dx, dRes ?? dx1);
      be.dispose(ln1.dx, dx1, ...(dRes ? [dRes] : []));
    } else {
      be.dispose(dx1, ...(dRes ? [dRes] : []), ...(dH ? [dH] : []));
      dx = null;
    }
  }
  releaseBatch(be, t);
}

/** USE-lite as a LoraModel: its batching and its forward/backward above. */
export function loraModelOfUseLite(base: UseLiteEmbedder): LoraModel {
  return {
    embedder: base,
    modules: linearsOfUseLite(base),
    plan: (be, texts) => {
      const ids = texts.map((t) => base.tokenize(t));
      return {
        groups: batchesLikeUseLite(base, be, ids),
        forward: (group, lora, dropout, save) => {
          const t = forwardBatch(
            base,
            be,
            group.map((i) => ids[i]),
            lora,
            dropout,
            save,
          );
          let live = save; // an unsaved forward kept nothing but normed
          return {
            normed: t.normed,
            backward: (tb, dN, grads) => {
              if (!live)
                throw new Error(
                  'USE-lite LoRA: backward of a forward that was not saved or already released',
                );
              live = false;
              backwardBatch(base, tb, t, dN, grads);
            },
            release: () => {
              if (live) releaseBatch(be, t);
              live = false;
            },
          };
        },
      };
    },
  };
}
