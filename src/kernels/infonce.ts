/**
 * InfoNCE (MultipleNegativesRankingLoss) on L2-normalised q [Bq,D] and docs [Nd,D]: S = scale q·docsᵀ,
 *   L1 = mean_i (logsumexp_n S[i,n] - S[i,pos_i]);
 *   symmetric: L2 = mean_j (logsumexp_i S[i,pos_j] - S[j,pos_j]) and L = (L1 + L2) / 2.
 * G = dL/dS (softmax minus one-hot, per term); dq = scale G·docs, ddocs = scale Gᵀ·q.
 * CPU reference (f64, max-subtracted log-sum-exp) + GPU program (shaders/infonce.wgsl: 'rows' and 'cols'
 * write G (pre-multiplied by scale) and per-term losses; the products use matmul and grad_linear dw).
 */
import { FLAT_INDEX_WGSL } from './shader-lib';
import { ShapeError, type Tensor } from '../core/backend';
import { type KernelLimits, type ProgramSpec, type ShaderRef } from '../core/program';
import { expectDim, expectDtype, expectRank } from './shape';
import { expectFinite } from './rows';
import type { GpuOpContext, OpDef } from '../core/op';
import { dwProgram, gradLinearShader } from './grad-linear';
import { matmulProgram, matmulShader } from './matmul';

export const infonceShader: ShaderRef = {
  key: 'infonce',
  url: new URL('../../shaders/infonce.wgsl', import.meta.url),
  prelude: [FLAT_INDEX_WGSL],
};

export interface InfoNceDims {
  Bq: number;
  Nd: number;
  D: number;
}

export interface InfoNceOpts {
  scale: number;
  symmetric: boolean;
}

/** loss and dL/dS' where S' = q·docsᵀ (unscaled): i.e. scale * dL/dS. */
export function infoNceGradS(
  qd: Float64Array,
  positive: Uint32Array,
  { Bq, Nd }: InfoNceDims,
  opts: InfoNceOpts,
): { loss: number; g: Float64Array } {
  const w = opts.symmetric ? 0.5 : 1;
  const g = new Float64Array(Bq * Nd);
  let loss = 0;
  for (let i = 0; i < Bq; i++) {
    let m = -Infinity;
    for (let n = 0; n < Nd; n++) m = Math.max(m, opts.scale * qd[i * Nd + n]);
    let sum = 0;
    for (let n = 0; n < Nd; n++) sum += Math.exp(opts.scale * qd[i * Nd + n] - m);
    const lse = m + Math.log(sum);
    loss += (w / Bq) * (lse - opts.scale * qd[i * Nd + positive[i]]);
    for (let n = 0; n < Nd; n++) {
      const p = Math.exp(opts.scale * qd[i * Nd + n] - lse);
      g[i * Nd + n] += ((w * opts.scale) / Bq) * (p - (n === positive[i] ? 1 : 0));
    }
  }
  if (opts.symmetric) {
    for (let j = 0; j < Bq; j++) {
      const c = positive[j];
      let m = -Infinity;
      for (let i = 0; i < Bq; i++) m = Math.max(m, opts.scale * qd[i * Nd + c]);
      let sum = 0;
      for (let i = 0; i < Bq; i++) sum += Math.exp(opts.scale * qd[i * Nd + c] - m);
      const lse = m + Math.log(sum);
      loss += (w / Bq) * (lse - opts.scale * qd[j * Nd + c]);
      for (let i = 0; i < Bq; i++) {
        const p = Math.exp(opts.scale * qd[i * Nd + c] - lse);
        g[i * Nd + c] += ((w * opts.scale) / Bq) * (p - (i === j ? 1 : 0));
      }
    }
  }
  return { loss, g };
}

export function infoNceCpu(
  q: Float32Array,
  docs: Float32Array,
  positive: Uint32Array,
  dims: InfoNceDims,
  opts: InfoNceOpts,
): { loss: number; dq: Float32Array; ddocs: Float32Array } {
  const { Bq, Nd, D } = dims;
  const qd = new Float64Array(Bq * Nd);
  for (let i = 0; i < Bq; i++) {
    for (let n = 0; n < Nd; n++) {
      let acc = 0;
      for (let d = 0; d < D; d++) acc += q[i * D + d] * docs[n * D + d];
      qd[i * Nd + n] = acc;
    }
  }
  const { loss, g } = infoNceGradS(qd, positive, dims, opts);
  const dq = new Float64Array(Bq * D);
  const ddocs = new Float64Array(Nd * D);
  for (let i = 0; i < Bq; i++) {
    for (let n = 0; n < Nd; n++) {
      const gin = g[i * Nd + n];
      if (gin === 0) continue;
      for (let d = 0; d < D; d++) {
        dq[i * D + d] += gin * docs[n * D + d];
        ddocs[n * D + d] += gin * q[i * D + d];
      }
    }
  }
  return { loss, dq: Float32Array.from(dq), ddocs: Float32Array.from(ddocs) };
}

export function infoNceShape(q: Tensor, docs: Tensor, positive: Uint32Array, opts: InfoNceOpts): InfoNceDims {
  const op = 'infoNce';
  expectRank(op, 'q', q, 2);
  expectRank(op, 'docs', docs, 2);
  expectDtype(op, 'q', q, 'f32');
  expectDtype(op, 'docs', docs, 'f32');
  const [Bq, D] = q.shape;
  const Nd = docs.shape[0];
  expectDim(op, 'docs dim', docs.shape[1], D);
  expectDim(op, 'positive length', positive.length, Bq);
  expectFinite(op, 'scale', opts.scale);
  if (Bq === 0) throw new ShapeError(op, 'needs at least one query');
  positive.forEach((p, i) => {
    if (p >= Nd) throw new ShapeError(op, `positive[${i}] = ${p} is not a doc index (< ${Nd})`);
  });
  return { Bq, Nd, D };
}

/** 'rows' (always) or 'cols' (symmetric): bindings S' [Bq,Nd], positive u32 [Bq], G [Bq,Nd], losses [2*Bq]. */
export function infoNceProgram(
  entry: 'rows' | 'cols',
  { Bq, Nd }: InfoNceDims,
  opts: InfoNceOpts,
  limits: KernelLimits,
): ProgramSpec {
  const wg = Math.min(64, limits.maxInvocationsPerWorkgroup);
  const u = new ArrayBuffer(16);
  new Uint32Array(u, 0, 2).set([Bq, Nd]);
  new Float32Array(u, 8, 2).set([opts.scale, opts.symmetric ? 0.5 : 1]);
  return {
    shader: infonceShader,
    entryPoint: entry,
    overrides: { WG: wg },
    workgroups: Math.max(1, Math.ceil((entry === 'rows' ? Bq : Nd) / wg)),
    bindings: [0, 1, 2, 3],
    uniformBinding: 4,
    uniforms: u,
  };
}

/** GPU: similarities on matmul, the loss rows (and columns when symmetric) on infonce.wgsl, then dq = g·docs
 * on matmul and ddocs = gᵀ·q on grad_linear's dw. */
export const infoNceOp: OpDef<'infoNce'> = {
  name: 'infoNce',
  shaders: [infonceShader, matmulShader, gradLinearShader],
  cpu: (c) => async (q, docs, positive, opts) => {
    const op = 'infoNce';
    const d = infoNceShape(q, docs, positive, opts);
    const r = infoNceCpu(c.f32(q, op), c.f32(docs, op), positive, d, opts);
    return { loss: r.loss, dq: c.make(op, r.dq, q.shape), ddocs: c.make(op, r.ddocs, docs.shape) };
  },
  gpu: (g) => (q, docs, positive, opts) => infoNceGpu(g, q, docs, positive, opts),
};

async function infoNceGpu(
  g: GpuOpContext,
  q: Tensor,
  docs: Tensor,
  positive: Uint32Array,
  opts: InfoNceOpts,
): Promise<{ loss: number; dq: Tensor; ddocs: Tensor }> {
  const op = 'infoNce';
  const d = infoNceShape(q, docs, positive, opts);
  const L = g.limits;
  const qd = g.run(op, [d.Bq, d.Nd], [q, docs], () => matmulProgram({ M: d.Bq, K: d.D, N: d.Nd }, true, L));
  const pos = g.scoped(op, () => g.upload(positive, [d.Bq]));
  const grad = g.scoped(op, () => g.alloc(op, [d.Bq, d.Nd], 'f32'));
  const losses = g.scoped(op, () => g.alloc(op, [2 * d.Bq], 'f32'));
  try {
    const bufs = [qd, pos, grad, losses];
    if (d.Nd > 0) {
      g.scoped(op, () => g.enqueue(infoNceProgram('rows', d, opts, L), bufs));
      if (opts.symmetric) g.scoped(op, () => g.enqueue(infoNceProgram('cols', d, opts, L), bufs));
    }
    const dq = g.run(op, q.shape, [grad, docs], () => matmulProgram({ M: d.Bq, K: d.Nd, N: d.D }, false, L));
    const ddocs = g.run(op, docs.shape, [grad, q], () => dwProgram({ M: d.Bq, K: d.Nd, N: d.D }, 'kn', L));
    const l = new Float32Array(await g.readWords(losses, (opts.symmetric ? 2 : 1) * d.Bq));
    const w = (opts.symmetric ? 0.5 : 1) / d.Bq;
    return { loss: l.reduce((a, b) => a + b * w, 0), dq, ddocs };
  } finally {
    for (const t of [qd, pos, grad, losses]) g.release(t);
  }
}
