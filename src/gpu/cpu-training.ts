/** TrainingOps on the CPU: shape checks shared with WebGPU, then the kernels' CPU references. */
import { ShapeError, type Tensor } from '../core/backend';
import type { AdamWStep, TrainingOps } from '../core/training-ops';
import type { Activation } from '../core/transformer-ops';
import { attentionShape, type AttentionOpts } from '../kernels/attention';
import { activationShape, swigluShape } from '../kernels/activation';
import { linearBackwardCpu, linearBackwardShape } from '../kernels/grad-linear';
import { linearBackwardGemm } from './cpu-simd/linear-backward';
import { attentionBackwardGemm } from './cpu-simd/attention-backward';
import { layerNormBackwardCpu, normBackwardShape, rmsNormBackwardCpu } from '../kernels/grad-norm';
import { attentionBackwardCpu } from '../kernels/grad-attention';
import {
  activationBackwardCpu,
  l2NormalizeBackwardCpu,
  maskedMeanPoolBackwardCpu,
  poolBackwardCpu,
  ropeBackwardCpu,
  softmaxBackwardCpu,
  swigluBackwardCpu,
} from '../kernels/grad-pointwise';
import { infoNceCpu, infoNceShape } from '../kernels/infonce';
import { adamwCpu, adamwShape, sumSquaresCpu } from '../kernels/optim';
import { l2normShape } from '../kernels/l2norm';
import { ropeShape, type RopeOpts } from '../kernels/rope';
import { asRows, expectSameShape } from '../kernels/rows';
import { tokenGradShape } from '../kernels/grad-shapes';
import type { PoolMode } from '../kernels/pool';
import type { WasmGemm } from './cpu-simd/gemm';

/** The CPU backend extends this; it supplies tensor access (f32 data, mutable in place) and allocation. */
export abstract class CpuTrainingOps implements TrainingOps {
  protected abstract f32(t: Tensor, op: string): Float32Array;
  protected abstract make(op: string, data: Float32Array | Uint32Array, shape: readonly number[]): Tensor;
  /** WASM SIMD gemm (null without SIMD); in-place ops tell it to forget cached weight panels */
  protected abstract readonly gemm: WasmGemm | null;

  linearBackward(
    x: Tensor,
    w: Tensor,
    dy: Tensor,
    layout: 'kn' | 'nk',
    needDx: boolean,
  ): { dx: Tensor | null; dw: Tensor; db: Tensor } {
    const op = 'linearBackward';
    const d = linearBackwardShape(x, w, dy, layout);
    const [fx, fw, fdy] = [this.f32(x, op), this.f32(w, op), this.f32(dy, op)];
    const r = this.gemm
      ? linearBackwardGemm(this.gemm, fx, fw, fdy, d, layout, needDx)
      : linearBackwardCpu(fx, fw, fdy, d, layout, needDx);
    return {
      dx: r.dx ? this.make(op, r.dx, x.shape) : null,
      dw: this.make(op, r.dw, w.shape),
      db: this.make(op, r.db, [d.N]),
    };
  }

  layerNormBackward(
    x: Tensor,
    gamma: Tensor,
    dy: Tensor,
    eps: number,
  ): { dx: Tensor; dgamma: Tensor; dbeta: Tensor } {
    const op = 'layerNormBackward';
    const rows = normBackwardShape(op, x, gamma, dy, eps);
    const r = layerNormBackwardCpu(this.f32(x, op), this.f32(gamma, op), this.f32(dy, op), eps, rows);
    return {
      dx: this.make(op, r.dx, x.shape),
      dgamma: this.make(op, r.dgamma, gamma.shape),
      dbeta: this.make(op, r.dbeta, gamma.shape),
    };
  }

  rmsNormBackward(
    x: Tensor,
    gamma: Tensor,
    dy: Tensor,
    eps: number,
    opts?: { addOne?: boolean },
  ): { dx: Tensor; dgamma: Tensor } {
    const op = 'rmsNormBackward';
    const rows = normBackwardShape(op, x, gamma, dy, eps);
    const r = rmsNormBackwardCpu(
      this.f32(x, op),
      this.f32(gamma, op),
      this.f32(dy, op),
      eps,
      opts?.addOne ?? false,
      rows,
    );
    return { dx: this.make(op, r.dx, x.shape), dgamma: this.make(op, r.dgamma, gamma.shape) };
  }

  activationBackward(x: Tensor, dy: Tensor, kind: Activation): Tensor {
    const op = 'activationBackward';
    activationShape(x, kind);
    expectSameShape(op, x, dy, 'x', 'dy');
    return this.make(op, activationBackwardCpu(this.f32(x, op), this.f32(dy, op), kind), x.shape);
  }

  swigluBackward(gate: Tensor, up: Tensor, dy: Tensor): { dgate: Tensor; dup: Tensor } {
    const op = 'swigluBackward';
    swigluShape(gate, up);
    expectSameShape(op, gate, dy, 'gate', 'dy');
    const r = swigluBackwardCpu(this.f32(gate, op), this.f32(up, op), this.f32(dy, op));
    return { dgate: this.make(op, r.dgate, gate.shape), dup: this.make(op, r.dup, gate.shape) };
  }

  softmaxBackward(y: Tensor, dy: Tensor): Tensor {
    const op = 'softmaxBackward';
    const rows = asRows(op, 'y', y);
    expectSameShape(op, y, dy, 'y', 'dy');
    return this.make(op, softmaxBackwardCpu(this.f32(y, op), this.f32(dy, op), rows), y.shape);
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
    const [fq, fk, fv, fm, fdy] = [q, k, v, mask, dy].map((t) => this.f32(t, op));
    const r = this.gemm
      ? attentionBackwardGemm(this.gemm, fq, fk, fv, fm, fdy, d, opts)
      : attentionBackwardCpu(fq, fk, fv, fm, fdy, d, opts);
    return {
      dq: this.make(op, r.dq, q.shape),
      dk: this.make(op, r.dk, k.shape),
      dv: this.make(op, r.dv, v.shape),
    };
  }

  ropeBackward(dy: Tensor, opts: RopeOpts): Tensor {
    const d = ropeShape(dy, opts);
    return this.make('ropeBackward', ropeBackwardCpu(this.f32(dy, 'ropeBackward'), d, opts.theta), dy.shape);
  }

  maskedMeanPoolBackward(mask: Tensor, dy: Tensor, T: number): Tensor {
    const op = 'maskedMeanPoolBackward';
    const d = tokenGradShape(op, mask, dy, T);
    return this.make(op, maskedMeanPoolBackwardCpu(this.f32(mask, op), this.f32(dy, op), d), [d.B, d.T, d.D]);
  }

  poolBackward(mask: Tensor, dy: Tensor, T: number, mode: PoolMode): Tensor {
    const op = 'poolBackward';
    const d = tokenGradShape(op, mask, dy, T);
    if (mode !== 'cls' && mode !== 'last')
      throw new ShapeError(op, `mode must be 'cls' or 'last', got '${String(mode)}'`);
    return this.make(op, poolBackwardCpu(this.f32(mask, op), this.f32(dy, op), d, mode), [d.B, d.T, d.D]);
  }

  l2NormalizeBackward(x: Tensor, dy: Tensor): Tensor {
    const op = 'l2NormalizeBackward';
    const { rows, dim } = l2normShape(x);
    expectSameShape(op, x, dy, 'x', 'dy');
    return this.make(op, l2NormalizeBackwardCpu(this.f32(x, op), this.f32(dy, op), rows, dim), x.shape);
  }

  async infoNce(
    q: Tensor,
    docs: Tensor,
    positive: Uint32Array,
    opts: { scale: number; symmetric: boolean },
  ): Promise<{ loss: number; dq: Tensor; ddocs: Tensor }> {
    const op = 'infoNce';
    const d = infoNceShape(q, docs, positive, opts);
    const r = infoNceCpu(this.f32(q, op), this.f32(docs, op), positive, d, opts);
    return { loss: r.loss, dq: this.make(op, r.dq, q.shape), ddocs: this.make(op, r.ddocs, docs.shape) };
  }

  async sumSquares(x: Tensor): Promise<number> {
    asRows('sumSquares', 'x', x);
    return sumSquaresCpu(this.f32(x, 'sumSquares'));
  }

  adamw(param: Tensor, grad: Tensor, m: Tensor, v: Tensor, hp: AdamWStep): void {
    adamwShape(param, grad, m, v, hp);
    const [p, g, fm, fv] = [param, grad, m, v].map((t) => this.f32(t, 'adamw'));
    adamwCpu(p, g, fm, fv, hp);
    this.gemm?.forget(p);
  }

  zero(t: Tensor): void {
    asRows('zero', 't', t);
    const ft = this.f32(t, 'zero');
    ft.fill(0);
    this.gemm?.forget(ft);
  }

  addInPlace(t: Tensor, x: Tensor, s = 1): void {
    expectSameShape('addInPlace', t, x, 't', 'x');
    const [ft, fx] = [this.f32(t, 'addInPlace'), this.f32(x, 'addInPlace')];
    for (let i = 0; i < ft.length; i++) ft[i] += s * fx[i];
    this.gemm?.forget(ft);
  }
}
