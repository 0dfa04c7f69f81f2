/** meanpool: x [B,T,D], mask [B,T] -> [B,D] = sum_t mask*x / max(sum_t mask, 1e-9). CPU reference + GPU program. */
import type { Tensor } from '../core/backend';
import { packU32, type KernelLimits, type ProgramSpec, type ShaderRef } from '../core/program';
import { expectDim, expectDtype, expectRank } from './shape';
import { kernelOp } from '../core/op';

export const meanpoolShader: ShaderRef = {
  key: 'meanpool',
  url: new URL('../../shaders/meanpool.wgsl', import.meta.url),
};

export const MASK_EPS = 1e-9;

export interface PoolDims {
  B: number;
  T: number;
  D: number;
}

export function maskedMeanPoolCpu(x: Float32Array, mask: Float32Array, dims: PoolDims): Float32Array {
  const { B, T, D } = dims;
  const y = new Float32Array(B * D);
  // t outer, d inner (x read in order); acc[d] sums over t in the same order as a d-outer loop would
  const acc = new Float64Array(D);
  for (let b = 0; b < B; b++) {
    let msum = 0;
    for (let t = 0; t < T; t++) msum += mask[b * T + t];
    const denom = Math.max(msum, MASK_EPS);
    acc.fill(0);
    for (let t = 0; t < T; t++) {
      const m = mask[b * T + t];
      const row = (b * T + t) * D;
      for (let d = 0; d < D; d++) acc[d] += m * x[row + d];
    }
    for (let d = 0; d < D; d++) y[b * D + d] = acc[d] / denom;
  }
  return y;
}

export function meanpoolShape(x: Tensor, mask: Tensor): PoolDims {
  const op = 'maskedMeanPool';
  expectRank(op, 'x', x, 3);
  expectRank(op, 'mask', mask, 2);
  expectDtype(op, 'x', x, 'f32');
  expectDtype(op, 'mask', mask, 'f32');
  const [B, T, D] = x.shape;
  expectDim(op, 'mask batch', mask.shape[0], B);
  expectDim(op, 'mask length', mask.shape[1], T);
  return { B, T, D };
}

export function meanpoolProgram(dims: PoolDims, limits: KernelLimits): ProgramSpec {
  const wg = Math.min(64, limits.maxInvocationsPerWorkgroup);
  const total = dims.B * dims.D;
  return {
    shader: meanpoolShader,
    entryPoint: 'main',
    overrides: { WG: wg },
    workgroups: Math.ceil(total / wg),
    bindings: [0, 1, 2],
    uniformBinding: 3,
    uniforms: packU32(dims.B, dims.T, dims.D, total),
  };
}

export const maskedMeanPoolOp = kernelOp('maskedMeanPool', {
  shaders: [meanpoolShader],
  plan: (x, mask) => {
    const d = meanpoolShape(x, mask);
    return { out: [d.B, d.D], inputs: [x, mask], p: d };
  },
  cpu: ([x, mask], d) => maskedMeanPoolCpu(x, mask, d),
  program: (d, limits) => meanpoolProgram(d, limits),
});
