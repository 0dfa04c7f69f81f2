/**
 * The CPU backend's WASM SIMD fast paths: the ops whose CPU side runs on the gemm instead of the kernel
 * module's reference when the runtime has WebAssembly SIMD (same shape checks, same results' layout).
 */
import type { CpuOpContext, KernelOps } from '../../core/op';
import { activationCpu, activationShape } from '../../kernels/activation';
import { attentionShape } from '../../kernels/attention';
import { addCpu, addShape } from '../../kernels/elementwise';
import { gatherCpu, gatherShape } from '../../kernels/gather';
import { layerNormCpu, layerNormShape } from '../../kernels/layernorm';
import { attentionBackwardShape } from '../../kernels/grad-attention';
import { linearBackwardShape } from '../../kernels/grad-linear';
import { l2NormalizeCpu } from '../../kernels/l2norm';
import { linearShape } from '../../kernels/linear';
import { matmulShape } from '../../kernels/matmul';
import { expectSameShape } from '../../kernels/rows';
import { scoresShape } from '../../kernels/scores';
import { attentionGemm } from './attention';
import { attentionBackwardGemm } from './attention-backward';
import type { WasmGemm } from './gemm';
import { linearBackwardGemm } from './linear-backward';
import { geluWasm, layerNormWasm } from './rows';

export type GemmOpName =
  | 'matmul'
  | 'scores'
  | 'linear'
  | 'attention'
  | 'linearBackward'
  | 'attentionBackward'
  | 'activation'
  | 'add'
  | 'layerNorm'
  | 'gather';

export function gemmOps(gemm: WasmGemm, c: CpuOpContext): Pick<KernelOps, GemmOpName> {
  return {
    matmul(a, b, opts) {
      const tb = opts?.transposeB ?? false;
      const dims = matmulShape(a, b, tb);
      c.checkOut('matmul', dims.M * dims.N);
      const [fa, fb] = [c.f32(a, 'matmul'), c.f32(b, 'matmul')];
      const y = gemm.linear(fa, fb, null, dims.M, dims.K, dims.N, tb ? 'nk' : 'kn', false);
      return c.make('matmul', y, [dims.M, dims.N]);
    },

    scores(q, d, metric) {
      const dims = scoresShape(q, d, metric);
      c.checkOut('scores', dims.Q * dims.N);
      const [fq, fd] = [c.f32(q, 'scores'), c.f32(d, 'scores')];
      const [nq, nd] =
        metric === 'cosine'
          ? [l2NormalizeCpu(fq, dims.Q, dims.D), l2NormalizeCpu(fd, dims.N, dims.D)]
          : [fq, fd];
      const y = gemm.linear(nq, nd, null, dims.Q, dims.D, dims.N, 'nk', false);
      return c.make('scores', y, [dims.Q, dims.N]);
    },

    linear(x, w, bias, layout) {
      const d = linearShape(x, w, bias, layout, true);
      c.checkOut('linear', d.M * d.N);
      const b = bias ? c.f32(bias, 'linear') : null;
      const [fx, fw] = [c.f32(x, 'linear'), c.f32(w, 'linear')];
      return c.make('linear', gemm.linear(fx, fw, b, d.M, d.K, d.N, layout), d.outShape);
    },

    activation(x, kind) {
      activationShape(x, kind);
      const fx = c.f32(x, 'activation');
      // exact GELU (BERT's FFN) on the module's threads; the others are cheap enough in JS
      const y = kind === 'gelu' ? geluWasm(gemm, fx) : activationCpu(fx, kind);
      return c.make('activation', y, x.shape);
    },

    // the references' loops, into recycled arrays (pool.ts): a fresh output's page faults cost more than the sum
    add(a, b) {
      addShape(a, b);
      const fa = c.f32(a, 'add');
      return c.make('add', addCpu(fa, c.f32(b, 'add'), gemm.pool.take(fa.length)), a.shape);
    },

    gather(table, ids) {
      const { V, D, N } = gatherShape(table, ids);
      c.checkOut('gather', N * D);
      const fi = c.data(ids, 'gather') as Uint32Array;
      return c.make('gather', gatherCpu(c.f32(table, 'gather'), fi, V, D, gemm.pool.take(N * D)), [N, D]);
    },

    layerNorm(x, gamma, beta, eps) {
      const r = layerNormShape(x, gamma, beta, eps);
      const [fx, fg] = [c.f32(x, 'layerNorm'), c.f32(gamma, 'layerNorm')];
      const fb = beta ? c.f32(beta, 'layerNorm') : null;
      const y =
        r.dim % 4 === 0
          ? layerNormWasm(gemm, fx, fg, fb, eps, r.rows, r.dim)
          : layerNormCpu(fx, fg, fb, eps, r, gemm.pool.take(fx.length));
      return c.make('layerNorm', y, x.shape);
    },

    attention(q, k, v, mask, opts) {
      const d = attentionShape(q, k, v, mask, opts);
      const [fq, fk, fv, fm] = [q, k, v, mask].map((t) => c.f32(t, 'attention'));
      return c.make('attention', attentionGemm(gemm, fq, fk, fv, fm, d, opts), q.shape);
    },

    linearBackward(x, w, dy, layout, needDx) {
      const op = 'linearBackward';
      const d = linearBackwardShape(x, w, dy, layout);
      const [fx, fw, fdy] = [c.f32(x, op), c.f32(w, op), c.f32(dy, op)];
      const r = linearBackwardGemm(gemm, fx, fw, fdy, d, layout, needDx);
      return {
        dx: r.dx ? c.make(op, r.dx, x.shape) : null,
        dw: c.make(op, r.dw, w.shape),
        db: c.make(op, r.db, [d.N]),
      };
    },

    attentionBackward(q, k, v, mask, dy, opts) {
      const op = 'attentionBackward';
      const d = attentionBackwardShape(q, k, v, mask, opts);
      expectSameShape(op, q, dy, 'q', 'dy');
      const [fq, fk, fv, fm, fdy] = [q, k, v, mask, dy].map((t) => c.f32(t, op));
      const r = attentionBackwardGemm(gemm, fq, fk, fv, fm, fdy, d, opts);
      return { dq: c.make(op, r.dq, q.shape), dk: c.make(op, r.dk, k.shape), dv: c.make(op, r.dv, v.shape) };
    },
  };
}
