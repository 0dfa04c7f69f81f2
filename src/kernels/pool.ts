/**
 * pool: x [B,T,D], mask [B,T] -> [B,D]. 'cls' = token 0; 'last' = the last token whose mask is non-zero
 * (zeros when the row has none). CPU reference + GPU program (shaders/pool.wgsl).
 */
import { ShapeError, type Tensor } from '../core/backend';
import { packU32, type KernelLimits, type ProgramSpec, type ShaderRef } from '../core/program';
import { expectDim, expectDtype, expectRank } from './shape';
import { kernelOp } from '../core/op';

export const poolShader: ShaderRef = {
  key: 'pool',
  url: new URL('../../shaders/pool.wgsl', import.meta.url),
};

export type PoolMode = 'cls' | 'last';

export interface TokenPoolDims {
  B: number;
  T: number;
  D: number;
}

export function poolCpu(
  x: Float32Array,
  mask: Float32Array,
  { B, T, D }: TokenPoolDims,
  mode: PoolMode,
): Float32Array {
  const y = new Float32Array(B * D);
  for (let b = 0; b < B; b++) {
    let t = 0;
    if (mode === 'last') {
      t = T - 1;
      while (t >= 0 && mask[b * T + t] === 0) t--;
      if (t < 0) continue;
    }
    y.set(x.subarray((b * T + t) * D, (b * T + t + 1) * D), b * D);
  }
  return y;
}

export function poolShape(x: Tensor, mask: Tensor, mode: PoolMode): TokenPoolDims {
  const op = 'pool';
  expectRank(op, 'x', x, 3);
  expectRank(op, 'mask', mask, 2);
  expectDtype(op, 'x', x, 'f32');
  expectDtype(op, 'mask', mask, 'f32');
  const [B, T, D] = x.shape;
  expectDim(op, 'mask batch', mask.shape[0], B);
  expectDim(op, 'mask length', mask.shape[1], T);
  if (mode !== 'cls' && mode !== 'last')
    throw new ShapeError(op, `mode must be 'cls' or 'last', got '${String(mode)}'`);
  if (T === 0 && B > 0) throw new ShapeError(op, 'x has no tokens (T = 0)');
  return { B, T, D };
}

export function poolProgram(dims: TokenPoolDims, mode: PoolMode, limits: KernelLimits): ProgramSpec {
  const wg = Math.min(64, limits.maxInvocationsPerWorkgroup);
  const total = dims.B * dims.D;
  return {
    shader: poolShader,
    entryPoint: 'main',
    overrides: { WG: wg, LAST: mode === 'last' ? 1 : 0 },
    workgroups: Math.ceil(total / wg),
    bindings: [0, 1, 2],
    uniformBinding: 3,
    uniforms: packU32(dims.B, dims.T, dims.D, total),
  };
}

export const poolOp = kernelOp('pool', {
  shaders: [poolShader],
  plan: (x, mask, mode) => {
    const d = poolShape(x, mask, mode);
    return { out: [d.B, d.D], inputs: [x, mask], p: { d, mode } };
  },
  cpu: ([x, mask], { d, mode }) => poolCpu(x, mask, d, mode),
  program: ({ d, mode }, limits) => poolProgram(d, mode, limits),
});
