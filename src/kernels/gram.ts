/** gram: C [D,D] = xᵀx for x [N,D] (the scatter matrix of a centred x; PCA's covariance up to 1/(N−1)).
 * CPU reference + GPU program. */
import type { Tensor } from '../core/backend';
import { kernelOp } from '../core/op';
import { packU32, type KernelLimits, type ProgramSpec, type ShaderRef } from '../core/program';
import { squareTile } from './matmul';
import { expectDtype, expectRank } from './shape';

export const gramShader: ShaderRef = {
  key: 'gram',
  url: new URL('../../shaders/gram.wgsl', import.meta.url),
};

export interface GramDims {
  rows: number;
  cols: number;
}

/** Reference: the upper triangle accumulated over rows in f64, rounded once to f32, mirrored. */
export function gramCpu(x: Float32Array, { rows, cols }: GramDims): Float32Array {
  const acc = new Float64Array(cols * cols);
  for (let n = 0; n < rows; n++) {
    const o = n * cols;
    for (let i = 0; i < cols; i++) {
      const xi = x[o + i];
      if (xi === 0) continue;
      const a = i * cols;
      for (let j = i; j < cols; j++) acc[a + j] += xi * x[o + j];
    }
  }
  const c = new Float32Array(cols * cols);
  for (let i = 0; i < cols; i++)
    for (let j = i; j < cols; j++) c[i * cols + j] = c[j * cols + i] = acc[i * cols + j];
  return c;
}

export function gramShape(x: Tensor): GramDims {
  expectRank('gram', 'x', x, 2);
  expectDtype('gram', 'x', x, 'f32');
  return { rows: x.shape[0], cols: x.shape[1] };
}

/** One TILE×TILE block of C per workgroup (the matmul's tile side); blocks below the diagonal exit. */
export function gramProgram(d: GramDims, limits: KernelLimits): ProgramSpec {
  const tile = squareTile(limits);
  const tiles = Math.ceil(d.cols / tile);
  return {
    shader: gramShader,
    entryPoint: 'main',
    overrides: { TILE: tile },
    workgroups: Math.max(1, tiles * tiles),
    bindings: [0, 1],
    uniformBinding: 2,
    uniforms: packU32(d.rows, d.cols, tiles),
  };
}

export const gramOp = kernelOp('gram', {
  shaders: [gramShader],
  plan: (x) => {
    const d = gramShape(x);
    return { out: [d.cols, d.cols], inputs: [x], p: d };
  },
  cpu: ([x], d) => gramCpu(x, d),
  program: (d, limits) => gramProgram(d, limits),
});
