/** l2norm: each row of x [rows, dim] divided by max(||row||2, 1e-12). CPU reference + GPU program. */
import type { Tensor } from '../core/backend';
import {
  ceilPow2,
  floorPow2,
  packU32,
  type KernelLimits,
  type ProgramSpec,
  type ShaderRef,
} from '../core/program';
import { expectDtype, expectRank } from './shape';
import { WORKGROUP_REDUCE_WGSL } from './shader-lib';
import { kernelOp } from '../core/op';

export const l2normShader: ShaderRef = {
  key: 'l2norm',
  url: new URL('../../shaders/l2norm.wgsl', import.meta.url),
  prelude: [WORKGROUP_REDUCE_WGSL],
};

export const L2_EPS = 1e-12;

export function l2NormalizeCpu(x: Float32Array, rows: number, dim: number): Float32Array {
  const y = new Float32Array(rows * dim);
  for (let r = 0; r < rows; r++) {
    let s = 0;
    for (let i = 0; i < dim; i++) s += x[r * dim + i] * x[r * dim + i];
    const inv = 1 / Math.max(Math.sqrt(s), L2_EPS);
    for (let i = 0; i < dim; i++) y[r * dim + i] = x[r * dim + i] * inv;
  }
  return y;
}

export function l2normShape(x: Tensor): { rows: number; dim: number } {
  expectRank('l2Normalize', 'x', x, 2);
  expectDtype('l2Normalize', 'x', x, 'f32');
  return { rows: x.shape[0], dim: x.shape[1] };
}

export function l2normProgram(rows: number, dim: number, limits: KernelLimits): ProgramSpec {
  // power of two, enough lanes for the row but no more than the device (or 256) allows
  const wg = Math.min(256, floorPow2(limits.maxInvocationsPerWorkgroup), Math.max(32, ceilPow2(dim)));
  return {
    shader: l2normShader,
    entryPoint: 'main',
    overrides: { WG: wg },
    workgroups: rows,
    bindings: [0, 1],
    uniformBinding: 2,
    uniforms: packU32(rows, dim),
  };
}

export const l2NormalizeOp = kernelOp('l2Normalize', {
  shaders: [l2normShader],
  plan: (x) => {
    const r = l2normShape(x);
    return { out: [r.rows, r.dim], inputs: [x], p: r };
  },
  cpu: ([x], { rows, dim }) => l2NormalizeCpu(x, rows, dim),
  program: ({ rows, dim }, limits) => l2normProgram(rows, dim, limits),
});
