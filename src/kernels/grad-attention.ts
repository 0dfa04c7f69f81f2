/**
 * attention backward (probabilities recomputed). For query row (b,i,h) with visible keys j:
 *   p_j = softmax_j(scale q_i·k_j), dp_j = dy_i·v_j, delta = Σ_j p_j dp_j, ds_j = p_j (dp_j - delta)
 *   dq_i = scale Σ_j ds_j k_j,  dk_j += scale ds_j q_i,  dv_j += p_j dy_i
 * softcap c: the scores are c·tanh(s/c), so ds_j also takes the factor 1 - (score_j / c)^2 (tanh').
 * window: keys outside it are hidden like padding (see attention.ts).
 * GQA: a kv head's grads are summed over the query heads that share it. Masked keys (and keys after the
 * query when causal) get no gradient from that row; a row with no visible key contributes nothing.
 * CPU reference (f64) + GPU programs (shaders/grad_attention.wgsl: 'dq' per query row also writes the
 * row's log-sum-exp and delta; 'dkv' per key row walks the query rows that see it).
 */
import { type KernelLimits, type ProgramSpec, type ShaderRef } from '../core/program';
import { attentionRowScores, type AttentionDims, type AttentionOpts } from './attention';
import type { OpDef } from '../core/op';
import { attentionParams, attentionShape } from './attention';
import { ShapeError, type Tensor } from '../core/backend';

/** The forward's shape check; the backward has no KV cache: keys as long as queries. */
export function attentionBackwardShape(
  q: Tensor,
  k: Tensor,
  v: Tensor,
  mask: Tensor,
  opts: AttentionOpts,
): AttentionDims {
  const d = attentionShape(q, k, v, mask, opts);
  if (d.Tk !== d.T)
    throw new ShapeError('attentionBackward', `k has ${d.Tk} positions, q ${d.T}: they must be equal`);
  return d;
}
import { expectSameShape } from './rows';

export const gradAttentionShader: ShaderRef = {
  key: 'grad_attention',
  url: new URL('../../shaders/grad_attention.wgsl', import.meta.url),
};

export function attentionBackwardCpu(
  q: Float32Array,
  k: Float32Array,
  v: Float32Array,
  mask: Float32Array,
  dy: Float32Array,
  dims: AttentionDims,
  opts: AttentionOpts,
): { dq: Float32Array; dk: Float32Array; dv: Float32Array } {
  const { B, T, Hq, Hkv, Dh } = dims;
  const group = Hq / Hkv;
  const dq = new Float64Array(B * T * Hq * Dh);
  const dk = new Float64Array(B * T * Hkv * Dh);
  const dv = new Float64Array(B * T * Hkv * Dh);
  const s = new Float64Array(T);
  const dp = new Float64Array(T);
  const capGrad = new Float64Array(T).fill(1);
  const c = opts.softcap ?? 0;
  for (let b = 0; b < B; b++) {
    for (let i = 0; i < T; i++) {
      for (let h = 0; h < Hq; h++) {
        const kh = Math.floor(h / group);
        const qo = ((b * T + i) * Hq + h) * Dh;
        const m = attentionRowScores(q, k, mask, dims, opts, b, i, h, s);
        if (m === -Infinity) continue;
        let sum = 0;
        for (let j = 0; j < T; j++) if (s[j] !== -Infinity) sum += Math.exp(s[j] - m);
        let delta = 0;
        for (let j = 0; j < T; j++) {
          if (s[j] === -Infinity) continue;
          if (c) capGrad[j] = 1 - (s[j] / c) ** 2;
          s[j] = Math.exp(s[j] - m) / sum; // now p_j
          const vo = ((b * T + j) * Hkv + kh) * Dh;
          let acc = 0;
          for (let d = 0; d < Dh; d++) acc += dy[qo + d] * v[vo + d];
          dp[j] = acc;
          delta += s[j] * acc;
        }
        for (let j = 0; j < T; j++) {
          if (s[j] === -Infinity) continue;
          const ko = ((b * T + j) * Hkv + kh) * Dh;
          const ds = s[j] * (dp[j] - delta) * capGrad[j] * opts.scale;
          for (let d = 0; d < Dh; d++) {
            dq[qo + d] += ds * k[ko + d];
            dk[ko + d] += ds * q[qo + d];
            dv[ko + d] += s[j] * dy[qo + d];
          }
        }
      }
    }
  }
  return { dq: Float32Array.from(dq), dk: Float32Array.from(dk), dv: Float32Array.from(dv) };
}

/** 'dq': bindings q, k, v, mask, dy, stats [B*T*Hq*2] (lse, delta), dq. One invocation per query row. */
export function attentionDqProgram(
  dims: AttentionDims,
  opts: AttentionOpts,
  limits: KernelLimits,
): ProgramSpec {
  const wg = Math.min(64, limits.maxInvocationsPerWorkgroup);
  return {
    shader: gradAttentionShader,
    entryPoint: 'dq',
    overrides: { WG: wg },
    workgroups: Math.max(1, Math.ceil((dims.B * dims.T * dims.Hq) / wg)),
    bindings: [0, 1, 2, 3, 4, 5, 6],
    uniformBinding: 8,
    uniforms: attentionParams(dims, opts),
  };
}

/** 'dkv': bindings q, k, v, mask, dy, stats, dk, dv. One invocation per key row (b, j, kv head). */
export function attentionDkvProgram(
  dims: AttentionDims,
  opts: AttentionOpts,
  limits: KernelLimits,
): ProgramSpec {
  const wg = Math.min(64, limits.maxInvocationsPerWorkgroup);
  return {
    shader: gradAttentionShader,
    entryPoint: 'dkv',
    overrides: { WG: wg },
    workgroups: Math.max(1, Math.ceil((dims.B * dims.T * dims.Hkv) / wg)),
    bindings: [0, 1, 2, 3, 4, 5, 6, 7],
    uniformBinding: 8,
    uniforms: attentionParams(dims, opts),
  };
}

/** CPU: the reference (the CPU backend runs its WASM SIMD gemm when it has one). GPU: dq (with the per-row
 * softmax statistics), then dk and dv from them. */
export const attentionBackwardOp: OpDef<'attentionBackward'> = {
  name: 'attentionBackward',
  shaders: [gradAttentionShader],
  cpu: (c) => (q, k, v, mask, dy, opts) => {
    const op = 'attentionBackward';
    const d = attentionBackwardShape(q, k, v, mask, opts);
    expectSameShape(op, q, dy, 'q', 'dy');
    const [fq, fk, fv, fm, fdy] = [q, k, v, mask, dy].map((t) => c.f32(t, op));
    const r = attentionBackwardCpu(fq, fk, fv, fm, fdy, d, opts);
    return { dq: c.make(op, r.dq, q.shape), dk: c.make(op, r.dk, k.shape), dv: c.make(op, r.dv, v.shape) };
  },
  gpu: (g) => (q, k, v, mask, dy, opts) => {
    const op = 'attentionBackward';
    const d = attentionBackwardShape(q, k, v, mask, opts);
    expectSameShape(op, q, dy, 'q', 'dy');
    const ins = [q, k, v, mask, dy].map((t) => g.own(t, op));
    return g.scoped(op, () => {
      const stats = g.alloc(op, [Math.max(1, d.B * d.T * d.Hq * 2)], 'f32');
      const [dq, dk, dv] = [q, k, v].map((t) => g.alloc(op, t.shape, 'f32'));
      if (dq.size > 0) {
        g.enqueue(attentionDqProgram(d, opts, g.limits), [...ins, stats, dq]);
        g.enqueue(attentionDkvProgram(d, opts, g.limits), [...ins, stats, dk, dv]);
      }
      g.release(stats);
      return { dq, dk, dv };
    });
  },
};
