/**
 * The WebGPU side of TrainingOps: the same shape checks as the CPU path, then WGSL dispatches. Linear
 * backward reuses the forward linear kernel (dx, other layout) and grad_linear (dw, column sums); infoNce
 * reuses matmul for the similarity and dq products.
 */
import type { Tensor } from '../core/backend';
import type { ProgramSpec, ShaderRef } from '../core/program';
import type { GpuRuntime, GpuTensor } from './runtime';
import type { AdamWStep, TrainingOps } from '../core/training-ops';
import type { Activation } from '../core/transformer-ops';
import { activationShape, swigluShape } from '../kernels/activation';
import { attentionShape, type AttentionOpts } from '../kernels/attention';
import {
  colsumProgram,
  dwProgram,
  DW_TILED_MIN_FLOPS,
  gradLinearShader,
  linearBackwardShape,
  transposeProgram,
} from '../kernels/grad-linear';
import { gradNormShader, normBackwardProgram, normBackwardShape } from '../kernels/grad-norm';
import { attentionDkvProgram, attentionDqProgram, gradAttentionShader } from '../kernels/grad-attention';
import * as pw from '../kernels/grad-pointwise';
import { tokenGradShape } from '../kernels/grad-shapes';
import { infonceShader, infoNceProgram, infoNceShape } from '../kernels/infonce';
import { linearProgram } from '../kernels/linear';
import { matmulProgram } from '../kernels/matmul';
import {
  adamwProgram,
  adamwShader,
  adamwShape,
  axpyProgram,
  sumSquaresProgram,
  zeroProgram,
  SUMSQ_CHUNK,
} from '../kernels/optim';
import { l2normShape } from '../kernels/l2norm';
import { ropeShape, type RopeOpts } from '../kernels/rope';
import { asRows, expectSameShape } from '../kernels/rows';
import { ShapeError } from '../core/backend';
import type { PoolMode } from '../kernels/pool';

export const TRAINING_SHADERS: readonly ShaderRef[] = [
  gradLinearShader,
  gradNormShader,
  gradAttentionShader,
  pw.gradPointwiseShader,
  pw.gradRowsShader,
  infonceShader,
  adamwShader,
];

export abstract class GpuTrainingOps implements TrainingOps {
  constructor(protected readonly rt: GpuRuntime) {}

  linearBackward(
    x: Tensor,
    w: Tensor,
    dy: Tensor,
    layout: 'kn' | 'nk',
    needDx: boolean,
  ): { dx: Tensor | null; dw: Tensor; db: Tensor } {
    const op = 'linearBackward';
    const d = linearBackwardShape(x, w, dy, layout);
    const L = this.rt.limits;
    // dx [M,K] = dy [M,N] · Wᵀ: the forward kernel over W read in the other layout (N plays K)
    const back = { M: d.M, K: d.N, N: d.K };
    const wDtype = w.dtype === 'f16' ? 'f16' : 'f32';
    const dx = needDx
      ? this.trun(op, x.shape, [dy, w, w], () =>
          linearProgram(back, layout === 'kn' ? 'nk' : 'kn', false, L, wDtype),
        )
      : null;
    const dw = this.dw(op, x, dy, d, layout, w.shape);
    const db = this.trun(op, [d.N], [dy], () => colsumProgram(d.M, d.N, L));
    return { dx, dw, db };
  }

  layerNormBackward(
    x: Tensor,
    gamma: Tensor,
    dy: Tensor,
    eps: number,
  ): { dx: Tensor; dgamma: Tensor; dbeta: Tensor } {
    const op = 'layerNormBackward';
    const r = normBackwardShape(op, x, gamma, dy, eps);
    const [dx, dgamma] = this.tnorm(op, x, gamma, dy, eps, false, false, r);
    const dbeta = this.trun(op, gamma.shape, [dy], () => colsumProgram(r.rows, r.dim, this.rt.limits));
    return { dx, dgamma, dbeta };
  }

  rmsNormBackward(
    x: Tensor,
    gamma: Tensor,
    dy: Tensor,
    eps: number,
    opts?: { addOne?: boolean },
  ): { dx: Tensor; dgamma: Tensor } {
    const op = 'rmsNormBackward';
    const r = normBackwardShape(op, x, gamma, dy, eps);
    const [dx, dgamma] = this.tnorm(op, x, gamma, dy, eps, true, opts?.addOne ?? false, r);
    return { dx, dgamma };
  }

  activationBackward(x: Tensor, dy: Tensor, kind: Activation): Tensor {
    activationShape(x, kind);
    expectSameShape('activationBackward', x, dy, 'x', 'dy');
    return this.trun('activationBackward', x.shape, [x, dy], () =>
      pw.activationBackwardProgram(x.size, kind, this.rt.limits),
    );
  }

  swigluBackward(gate: Tensor, up: Tensor, dy: Tensor): { dgate: Tensor; dup: Tensor } {
    const op = 'swigluBackward';
    swigluShape(gate, up);
    expectSameShape(op, gate, dy, 'gate', 'dy');
    const [pg, pu] = pw.swigluBackwardPrograms(gate.size, this.rt.limits);
    return {
      dgate: this.trun(op, gate.shape, [gate, up, dy], () => pg),
      dup: this.trun(op, gate.shape, [gate, up, dy], () => pu),
    };
  }

  softmaxBackward(y: Tensor, dy: Tensor): Tensor {
    const r = asRows('softmaxBackward', 'y', y);
    expectSameShape('softmaxBackward', y, dy, 'y', 'dy');
    return this.trun('softmaxBackward', y.shape, [y, dy], () =>
      pw.rowsBackwardProgram('softmax', r, this.rt.limits),
    );
  }

  attentionBackward(
    q: Tensor,
    k: Tensor,
    v: Tensor,
    mask: Tensor,
    dy: Tensor,
    opts: AttentionOpts,
  ): { dq: Tensor; dk: Tensor; dv: Tensor } {
    const op = 'attentionBackward';
    const d = attentionShape(q, k, v, mask, opts);
    expectSameShape(op, q, dy, 'q', 'dy');
    const ins = [q, k, v, mask, dy].map((t) => this.rt.own(t, op).buffer);
    return this.rt.scoped(op, () => {
      const stats = this.rt.alloc(op, [Math.max(1, d.B * d.T * d.Hq * 2)], 'f32');
      const [dq, dk, dv] = [q, k, v].map((t) => this.rt.alloc(op, t.shape, 'f32'));
      if (dq.size > 0) {
        this.rt.dispatch(attentionDqProgram(d, opts, this.rt.limits), [...ins, stats.buffer, dq.buffer]);
        this.rt.dispatch(attentionDkvProgram(d, opts, this.rt.limits), [
          ...ins,
          stats.buffer,
          dk.buffer,
          dv.buffer,
        ]);
      }
      this.rt.release(stats);
      return { dq, dk, dv };
    });
  }

  ropeBackward(dy: Tensor, opts: RopeOpts): Tensor {
    const d = ropeShape(dy, opts);
    return this.trun('ropeBackward', dy.shape, [dy], () =>
      pw.ropeBackwardProgram(d, opts.theta, this.rt.limits),
    );
  }

  maskedMeanPoolBackward(mask: Tensor, dy: Tensor, T: number): Tensor {
    const d = tokenGradShape('maskedMeanPoolBackward', mask, dy, T);
    return this.trun('maskedMeanPoolBackward', [d.B, d.T, d.D], [mask, dy], () =>
      pw.tokenPoolBackwardProgram(d, 'mean', this.rt.limits),
    );
  }

  poolBackward(mask: Tensor, dy: Tensor, T: number, mode: PoolMode): Tensor {
    const d = tokenGradShape('poolBackward', mask, dy, T);
    if (mode !== 'cls' && mode !== 'last')
      throw new ShapeError('poolBackward', `mode must be 'cls' or 'last', got '${String(mode)}'`);
    return this.trun('poolBackward', [d.B, d.T, d.D], [mask, dy], () =>
      pw.tokenPoolBackwardProgram(d, mode, this.rt.limits),
    );
  }

  l2NormalizeBackward(x: Tensor, dy: Tensor): Tensor {
    const { rows, dim } = l2normShape(x);
    expectSameShape('l2NormalizeBackward', x, dy, 'x', 'dy');
    return this.trun('l2NormalizeBackward', x.shape, [x, dy], () =>
      pw.rowsBackwardProgram('l2norm', { rows, dim }, this.rt.limits),
    );
  }

  async infoNce(
    q: Tensor,
    docs: Tensor,
    positive: Uint32Array,
    opts: { scale: number; symmetric: boolean },
  ): Promise<{ loss: number; dq: Tensor; ddocs: Tensor }> {
    const op = 'infoNce';
    const d = infoNceShape(q, docs, positive, opts);
    const L = this.rt.limits;
    const qd = this.trun(op, [d.Bq, d.Nd], [q, docs], () =>
      matmulProgram({ M: d.Bq, K: d.D, N: d.Nd }, true, L),
    );
    const pos = this.rt.scoped(op, () => this.rt.upload(positive, [d.Bq]));
    const g = this.rt.scoped(op, () => this.rt.alloc(op, [d.Bq, d.Nd], 'f32'));
    const losses = this.rt.scoped(op, () => this.rt.alloc(op, [2 * d.Bq], 'f32'));
    try {
      const bufs = [qd, pos, g, losses].map((t) => t.buffer);
      if (d.Nd > 0) {
        this.rt.scoped(op, () => this.rt.dispatch(infoNceProgram('rows', d, opts, L), bufs));
        if (opts.symmetric)
          this.rt.scoped(op, () => this.rt.dispatch(infoNceProgram('cols', d, opts, L), bufs));
      }
      const dq = this.trun(op, q.shape, [g, docs], () =>
        matmulProgram({ M: d.Bq, K: d.Nd, N: d.D }, false, L),
      );
      const ddocs = this.trun(op, docs.shape, [g, q], () => dwProgram({ M: d.Bq, K: d.Nd, N: d.D }, 'kn', L));
      const l = new Float32Array(await this.rt.readBytes(losses.buffer, (opts.symmetric ? 2 : 1) * d.Bq * 4));
      const w = (opts.symmetric ? 0.5 : 1) / d.Bq;
      return { loss: l.reduce((a, b) => a + b * w, 0), dq, ddocs };
    } finally {
      for (const t of [qd, pos, g, losses]) this.rt.release(t);
    }
  }

  async sumSquares(x: Tensor): Promise<number> {
    asRows('sumSquares', 'x', x);
    const n = x.size;
    const parts = Math.max(1, Math.ceil(n / SUMSQ_CHUNK));
    const out = this.trun('sumSquares', [parts], [x], () => sumSquaresProgram(n, this.rt.limits));
    try {
      const p = new Float32Array(await this.rt.readBytes(out.buffer, parts * 4));
      return n === 0 ? 0 : p.reduce((a, b) => a + b, 0);
    } finally {
      this.rt.release(out);
    }
  }

  adamw(param: Tensor, grad: Tensor, m: Tensor, v: Tensor, hp: AdamWStep): void {
    adamwShape(param, grad, m, v, hp);
    this.tinPlace('adamw', [param, grad, m, v], () => adamwProgram(param.size, hp, this.rt.limits));
  }

  zero(t: Tensor): void {
    asRows('zero', 't', t);
    this.tinPlace('zero', [t], () => zeroProgram(t.size, this.rt.limits));
  }

  addInPlace(t: Tensor, x: Tensor, s = 1): void {
    expectSameShape('addInPlace', t, x, 't', 'x');
    this.tinPlace('addInPlace', [t, x], () => axpyProgram(t.size, s, this.rt.limits));
  }

  private tnorm(
    op: string,
    x: Tensor,
    gamma: Tensor,
    dy: Tensor,
    eps: number,
    rms: boolean,
    addOne: boolean,
    r: { rows: number; dim: number },
  ): [Tensor, Tensor] {
    const L = this.rt.limits;
    const ins = [x, gamma, dy].map((t) => this.rt.own(t, op).buffer);
    return this.rt.scoped(op, () => {
      const dx = this.rt.alloc(op, x.shape, 'f32');
      const prod = this.rt.alloc(op, x.shape, 'f32');
      const dgamma = this.rt.alloc(op, gamma.shape, 'f32');
      if (dx.size > 0)
        this.rt.dispatch(normBackwardProgram(r, eps, rms, addOne, L), [...ins, dx.buffer, prod.buffer]);
      if (dgamma.size > 0) this.rt.dispatch(colsumProgram(r.rows, r.dim, L), [prod.buffer, dgamma.buffer]);
      this.rt.release(prod);
      return [dx, dgamma];
    });
  }

  /** dW = xᵀ·dy in W's layout: small products on the direct kernel; large ones transpose the left operand
   * (x for 'kn', dy for 'nk') and run the tiled linear kernel. */
  private dw(
    op: string,
    x: Tensor,
    dy: Tensor,
    d: { M: number; K: number; N: number },
    layout: 'kn' | 'nk',
    shape: readonly number[],
  ): GpuTensor {
    const L = this.rt.limits;
    if (d.M * d.K * d.N < DW_TILED_MIN_FLOPS)
      return this.trun(op, shape, [x, dy], () => dwProgram(d, layout, L));
    const [left, right, rows, cols, n] = layout === 'kn' ? [x, dy, d.M, d.K, d.N] : [dy, x, d.M, d.N, d.K];
    const [lb, rb] = [this.rt.own(left, op).buffer, this.rt.own(right, op).buffer];
    return this.rt.scoped(op, () => {
      const lt = this.rt.alloc(op, [cols, rows], 'f32');
      const out = this.rt.alloc(op, [...shape], 'f32');
      this.rt.dispatch(transposeProgram(rows, cols, L), [lb, lt.buffer]);
      this.rt.dispatch(linearProgram({ M: cols, K: rows, N: n }, 'kn', false, L), [
        lt.buffer,
        rb,
        rb,
        out.buffer,
      ]);
      this.rt.release(lt);
      return out;
    });
  }

  /** In-place dispatch; an operand that aliases an earlier one (addInPlace(t, t)) is read from a copy,
   * since one dispatch may not bind a buffer both writable and again. */
  private tinPlace(op: string, ts: Tensor[], program: () => ProgramSpec): void {
    const bufs = ts.map((t) => this.rt.own(t, op).buffer);
    if (ts[0].size === 0) return;
    this.rt.scoped(op, () => {
      const temps: GpuTensor[] = [];
      for (let i = 1; i < bufs.length; i++) {
        if (!bufs.slice(0, i).includes(bufs[i])) continue;
        const c = this.rt.alloc(op, ts[i].shape, 'f32');
        const enc = this.rt.device.createCommandEncoder({ label: `${op} alias copy` });
        enc.copyBufferToBuffer(bufs[i], 0, c.buffer, 0, ts[i].size * 4);
        this.rt.device.queue.submit([enc.finish()]);
        temps.push(c);
        bufs[i] = c.buffer;
      }
      this.rt.dispatch(program(), bufs);
      for (const t of temps) this.rt.release(t);
    });
  }

  /** Validate the result size, allocate it and enqueue the program (skipped for empty outputs). */
  private trun(
    op: string,
    outShape: readonly number[],
    inputs: Tensor[],
    program: () => ProgramSpec,
  ): GpuTensor {
    const ins = inputs.map((t) => this.rt.own(t, op));
    return this.rt.scoped(op, () => {
      const out = this.rt.alloc(op, [...outShape], 'f32');
      if (out.size > 0) this.rt.dispatch(program(), [...ins.map((t) => t.buffer), out.buffer]);
      return out;
    });
  }
}
