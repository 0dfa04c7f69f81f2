/**
 * attention: scaled dot-product attention with a key padding mask, optional causal mask and grouped-query
 * heads. q [B,T,Hq,Dh], k/v [B,Tk,Hkv,Dh] with Tk >= T, mask [B,Tk]. The queries are the last T of the Tk
 * positions (Tk > T: a KV cache holds the earlier ones), so query i sits at position Tk - T + i; key j is
 * visible when mask != 0 and, if causal, j <= Tk - T + i. A query with no visible key yields zeros. CPU reference (f64, max-subtracted softmax) + GPU program
 * (shaders/attention.wgsl: one workgroup per (b, query, head), online softmax over key chunks).
 *
 * softcap c > 0 (Gemma 2, as Hugging Face applies it): the scaled score s becomes c·tanh(s/c) before the
 * mask and the softmax. window w > 0 (sliding window): key j is visible to the query at position p only when
 * p - w < j < p + w. Causal, that is Hugging Face's sliding-window causal mask (kv > q - w, with kv <= q from
 * the causal rule): the query and the w - 1 keys before it. Not causal (the STM embedders drop the causal
 * mask), it is the symmetric band |p - j| < w of Hugging Face's T5Gemma / older `sliding_window_bidirectional`
 * mask: w - 1 keys each side. (transformers' newest masking_utils overlay uses |p - j| <= w instead; a model
 * that needs that band passes window w + 1.)
 */
import { ShapeError, type Tensor } from '../core/backend';
import type { AttentionOptions } from '../core/transformer-ops';
import { ceilPow2, floorPow2, type KernelLimits, type ProgramSpec, type ShaderRef } from '../core/program';
import { expectFinite } from './rows';
import { expectDim, expectDtype, expectRank } from './shape';
import { WORKGROUP_REDUCE_WGSL } from './shader-lib';
import { kernelOp } from '../core/op';

export const attentionShader: ShaderRef = {
  key: 'attention',
  url: new URL('../../shaders/attention.wgsl', import.meta.url),
  prelude: [WORKGROUP_REDUCE_WGSL],
};

export interface AttentionDims {
  B: number;
  /** queries */
  T: number;
  /** keys (>= T; absent: T) */
  Tk?: number;
  Hq: number;
  Hkv: number;
  Dh: number;
}

export type AttentionOpts = AttentionOptions;

/**
 * The keys [lo, hi) that the query at position pos may see under the causal and window rules (padding
 * aside); lo < hi always (the query's own position is inside).
 */
export function attentionKeyRange(pos: number, Tk: number, opts: AttentionOpts): [number, number] {
  let hi = opts.causal ? pos + 1 : Tk;
  let lo = 0;
  const w = opts.window ?? 0;
  if (w > 0) {
    lo = Math.max(0, pos - w + 1);
    hi = Math.min(hi, pos + w);
  }
  return [lo, hi];
}

/** softcap·tanh(s/softcap); s itself when softcap is absent or 0 */
export function softcapScore(s: number, softcap: number | undefined): number {
  return softcap ? softcap * Math.tanh(s / softcap) : s;
}

/**
 * Scaled (and soft-capped) scores of query (b, i, head h) against every key into s (-Infinity where the key
 * is padding, causally hidden or outside the window); returns their maximum (-Infinity when no key is
 * visible). Shared by the forward and backward references.
 */
export function attentionRowScores(
  q: Float32Array,
  k: Float32Array,
  mask: Float32Array,
  dims: AttentionDims,
  opts: AttentionOpts,
  b: number,
  i: number,
  h: number,
  s: Float64Array,
): number {
  const { T, Hq, Hkv, Dh } = dims;
  const Tk = dims.Tk ?? T;
  const pos = Tk - T + i;
  const kh = Math.floor(h / (Hq / Hkv));
  const qo = ((b * T + i) * Hq + h) * Dh;
  const [lo, hi] = attentionKeyRange(pos, Tk, opts);
  let m = -Infinity;
  for (let j = 0; j < Tk; j++) {
    s[j] = -Infinity;
    if (mask[b * Tk + j] === 0 || j < lo || j >= hi) continue;
    const ko = ((b * Tk + j) * Hkv + kh) * Dh;
    let dot = 0;
    for (let d = 0; d < Dh; d++) dot += q[qo + d] * k[ko + d];
    s[j] = softcapScore(dot * opts.scale, opts.softcap);
    m = Math.max(m, s[j]);
  }
  return m;
}

export function attentionCpu(
  q: Float32Array,
  k: Float32Array,
  v: Float32Array,
  mask: Float32Array,
  dims: AttentionDims,
  opts: AttentionOpts,
): Float32Array {
  const { B, T, Hq, Hkv, Dh } = dims;
  const Tk = dims.Tk ?? T;
  const group = Hq / Hkv;
  const out = new Float32Array(B * T * Hq * Dh);
  const s = new Float64Array(Tk);
  const acc = new Float64Array(Dh);
  for (let b = 0; b < B; b++) {
    for (let i = 0; i < T; i++) {
      for (let h = 0; h < Hq; h++) {
        const kh = Math.floor(h / group);
        const qo = ((b * T + i) * Hq + h) * Dh;
        const m = attentionRowScores(q, k, mask, dims, opts, b, i, h, s);
        if (m === -Infinity) continue; // no visible key: the output row stays zero
        acc.fill(0);
        let sum = 0;
        for (let j = 0; j < Tk; j++) {
          if (s[j] === -Infinity) continue;
          const p = Math.exp(s[j] - m);
          sum += p;
          const vo = ((b * Tk + j) * Hkv + kh) * Dh;
          for (let d = 0; d < Dh; d++) acc[d] += p * v[vo + d];
        }
        for (let d = 0; d < Dh; d++) out[qo + d] = acc[d] / sum;
      }
    }
  }
  return out;
}

export function attentionShape(
  q: Tensor,
  k: Tensor,
  v: Tensor,
  mask: Tensor,
  opts: AttentionOpts,
): AttentionDims {
  const op = 'attention';
  for (const [n, t] of [
    ['q', q],
    ['k', k],
    ['v', v],
  ] as const) {
    expectRank(op, n, t, 4);
    expectDtype(op, n, t, 'f32');
  }
  expectRank(op, 'mask', mask, 2);
  expectDtype(op, 'mask', mask, 'f32');
  const [B, T, Hq, Dh] = q.shape;
  const [, Tk, Hkv] = k.shape;
  if (k.shape.some((d, i) => d !== v.shape[i])) {
    throw new ShapeError(
      op,
      `k [${k.shape.join(',')}] and v [${v.shape.join(',')}] must have the same shape`,
    );
  }
  expectDim(op, 'k batch', k.shape[0], B);
  if (Tk < T)
    throw new ShapeError(op, `k has ${Tk} positions, fewer than the ${T} queries (k [${k.shape.join(',')}])`);
  expectDim(op, 'k head dim', k.shape[3], Dh);
  if (Hkv === 0 || Hq % Hkv !== 0) {
    throw new ShapeError(op, `query heads ${Hq} must be a multiple of key/value heads ${Hkv}`);
  }
  expectDim(op, 'mask batch', mask.shape[0], B);
  expectDim(op, 'mask length', mask.shape[1], Tk);
  expectFinite(op, 'scale', opts.scale);
  const { softcap = 0, window = 0 } = opts;
  if (!(Number.isFinite(softcap) && softcap >= 0))
    throw new ShapeError(op, `softcap must be a finite number >= 0 (0: none), got ${softcap}`);
  if (!(Number.isInteger(window) && window >= 0 && window < 2 ** 31))
    throw new ShapeError(op, `window must be a whole number of positions >= 0 (0: none), got ${window}`);
  return { B, T, Tk, Hq, Hkv, Dh };
}

/**
 * One workgroup per (b, i, h), h fastest so neighbours share a kv head. WG lanes score WG keys per chunk;
 * workgroup memory holds q, the chunk's scores and the Dh accumulators: (2 Dh + 2 WG) f32.
 */
export function attentionProgram(
  dims: AttentionDims,
  opts: AttentionOpts,
  limits: KernelLimits,
): ProgramSpec {
  const { B, T, Hq, Dh } = dims;
  const Tk = dims.Tk ?? T;
  // keys one query can see: all, or 2 window - 1 at most
  const span = opts.window ? Math.min(Tk, 2 * opts.window - 1) : Tk;
  let wg = Math.min(
    256,
    floorPow2(limits.maxInvocationsPerWorkgroup),
    Math.max(32, ceilPow2(Math.max(span, Dh))),
  );
  const dhSlots = ceilPow2(Math.max(Dh, 1));
  while (wg > 1 && (2 * dhSlots + 2 * wg) * 4 > limits.maxWorkgroupStorageBytes) wg /= 2;
  if ((2 * dhSlots + 2 * wg) * 4 > limits.maxWorkgroupStorageBytes) {
    throw new ShapeError('attention', `head dim ${Dh} does not fit this device's workgroup memory`);
  }
  return {
    shader: attentionShader,
    entryPoint: 'main',
    overrides: { WG: wg, DH_SLOTS: dhSlots },
    workgroups: B * T * Hq,
    bindings: [0, 1, 2, 3, 4],
    uniformBinding: 5,
    uniforms: attentionParams(dims, opts),
  };
}

/** The kernels' Params: B, T, Hq, Hkv, Dh, causal, scale (f32), Tk, softcap (f32), window; 48 bytes. */
export function attentionParams(dims: AttentionDims, opts: AttentionOpts): ArrayBuffer {
  const u = new ArrayBuffer(48);
  const { B, T, Hq, Hkv, Dh } = dims;
  new Uint32Array(u, 0, 6).set([B, T, Hq, Hkv, Dh, opts.causal ? 1 : 0]);
  new Float32Array(u, 24, 1)[0] = opts.scale;
  new Uint32Array(u, 28, 1)[0] = dims.Tk ?? T;
  new Float32Array(u, 32, 1)[0] = opts.softcap ?? 0;
  new Uint32Array(u, 36, 1)[0] = opts.window ?? 0;
  return u;
}

export const attentionOp = kernelOp('attention', {
  shaders: [attentionShader],
  plan: (q, k, v, mask, opts) => ({
    out: q.shape,
    inputs: [q, k, v, mask],
    p: { d: attentionShape(q, k, v, mask, opts), opts },
  }),
  cpu: ([q, k, v, mask], { d, opts }) => attentionCpu(q, k, v, mask, d, opts),
  program: ({ d, opts }, limits) => attentionProgram(d, opts, limits),
});
