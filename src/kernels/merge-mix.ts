/**
 * mergeMix: the element-wise mixing step of mergekit's task-arithmetic family (shaders/merge_mix.wgsl):
 * base + lambda·(Σ_k w_k δ_k·mask_k, optionally divided per element). CPU reference + GPU program; the
 * per-tensor sparsification (masks) happens before, in src/merge.
 */
import { ShapeError, type Tensor } from '../core/backend';
import type { MergeMixOptions } from '../core/merge-ops';
import { kernelOp } from '../core/op';
import type { KernelLimits, ProgramSpec, ShaderRef } from '../core/program';
import { expectFinite } from './rows';
import { expectDtype } from './shape';

export const mergeMixShader: ShaderRef = {
  key: 'merge_mix',
  url: new URL('../../shaders/merge_mix.wgsl', import.meta.url),
};

/**
 * CPU reference (f64 accumulation, one rounding at the end). deltas[k] are the (sparsified) task vectors;
 * with consensus, majority = sign(Σ w_k δ_k) (0 → +), entries whose w_k δ_k has that sign are kept (0 agrees
 * with neither), divisor Σ w_k·mask_k (0 → 1); without, divisor Σ w_k (|Σ| < 1e-8 → 1).
 */
export function mergeMixCpu(
  base: Float32Array,
  deltas: Float32Array[],
  weights: ArrayLike<number>,
  opts: MergeMixOptions,
): Float32Array {
  const n = base.length;
  const K = deltas.length;
  const out = new Float32Array(n);
  let wsum = 0;
  for (let k = 0; k < K; k++) wsum += weights[k];
  if (Math.abs(wsum) < 1e-8) wsum = 1;
  for (let j = 0; j < n; j++) {
    let mixed = 0;
    let divisor = wsum;
    if (opts.consensus) {
      let s = 0;
      for (let k = 0; k < K; k++) s += weights[k] * deltas[k][j];
      const majority = s >= 0 ? 1 : -1;
      divisor = 0;
      for (let k = 0; k < K; k++) {
        const wd = weights[k] * deltas[k][j];
        if (Math.sign(wd) === majority) {
          mixed += wd;
          divisor += weights[k];
        }
      }
      if (divisor === 0) divisor = 1;
    } else {
      for (let k = 0; k < K; k++) mixed += weights[k] * deltas[k][j];
    }
    if (opts.normalize) mixed /= divisor;
    out[j] = base[j] + mixed * opts.lambda;
  }
  return out;
}

interface MixPlan {
  n: number;
  k: number;
  opts: MergeMixOptions;
}

/** base [...S], deltas [K, ...S] (or any shape of K·|S| elements with leading dim K), weights [K]. */
export function mergeMixShape(base: Tensor, deltas: Tensor, weights: Tensor, opts: MergeMixOptions): MixPlan {
  expectDtype('mergeMix', 'base', base, 'f32');
  expectDtype('mergeMix', 'deltas', deltas, 'f32');
  expectDtype('mergeMix', 'weights', weights, 'f32');
  expectFinite('mergeMix', 'lambda', opts.lambda);
  if (weights.shape.length !== 1) {
    throw new ShapeError('mergeMix', `weights must be a vector [K], got [${weights.shape.join(',')}]`);
  }
  const k = weights.shape[0];
  if (deltas.shape[0] !== k || deltas.size !== k * base.size) {
    throw new ShapeError(
      'mergeMix',
      `deltas [${deltas.shape.join(',')}] must be [${k}, ${base.shape.join(',')}] (K = weights length, then base's shape)`,
    );
  }
  return { n: base.size, k, opts };
}

export function mergeMixProgram(p: MixPlan, limits: KernelLimits): ProgramSpec {
  const wg = Math.min(256, limits.maxInvocationsPerWorkgroup);
  const u = new ArrayBuffer(16);
  new Uint32Array(u, 0, 3).set([p.n, p.k, p.opts.normalize ? 1 : 0]);
  new Float32Array(u, 12, 1)[0] = p.opts.lambda;
  return {
    shader: mergeMixShader,
    entryPoint: 'mix',
    overrides: { WG: wg, CONSENSUS: p.opts.consensus ? 1 : 0 },
    workgroups: Math.ceil(p.n / wg),
    bindings: [0, 1, 2, 3],
    uniformBinding: 4,
    uniforms: u,
  };
}

export const mergeMixOp = kernelOp('mergeMix', {
  shaders: [mergeMixShader],
  plan: (base, deltas, weights, opts) => {
    const p = mergeMixShape(base, deltas, weights, opts);
    return { out: base.shape, inputs: [base, deltas, weights], p };
  },
  cpu: ([base, deltas, weights], p) => {
    const ds = Array.from({ length: p.k }, (_, k) => deltas.subarray(k * p.n, (k + 1) * p.n));
    return mergeMixCpu(base, ds, weights, p.opts);
  },
  program: (p, limits) => mergeMixProgram(p, limits),
});
