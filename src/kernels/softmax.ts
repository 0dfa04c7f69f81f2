/** softmax over the last axis, max-subtracted. CPU reference (f64) + GPU program (shaders/softmax.wgsl). */
import type { Tensor } from '../core/backend';
import {
  ceilPow2,
  floorPow2,
  packU32,
  type KernelLimits,
  type ProgramSpec,
  type ShaderRef,
} from '../core/program';
import { asRows, type Rows } from './rows';
import { WORKGROUP_REDUCE_WGSL } from './shader-lib';
import { kernelOp } from '../core/op';

export const softmaxShader: ShaderRef = {
  key: 'softmax',
  url: new URL('../../shaders/softmax.wgsl', import.meta.url),
  prelude: [WORKGROUP_REDUCE_WGSL],
};

export function softmaxCpu(x: Float32Array, { rows, dim }: Rows): Float32Array {
  const y = new Float32Array(rows * dim);
  const e = new Float64Array(dim);
  for (let r = 0; r < rows; r++) {
    const o = r * dim;
    let m = -Infinity;
    for (let i = 0; i < dim; i++) m = Math.max(m, x[o + i]);
    let s = 0;
    for (let i = 0; i < dim; i++) {
      e[i] = Math.exp(x[o + i] - m);
      s += e[i];
    }
    for (let i = 0; i < dim; i++) y[o + i] = e[i] / s;
  }
  return y;
}

export function softmaxShape(x: Tensor): Rows {
  return asRows('softmax', 'x', x);
}

export function softmaxProgram({ rows, dim }: Rows, limits: KernelLimits): ProgramSpec {
  const wg = Math.min(256, floorPow2(limits.maxInvocationsPerWorkgroup), Math.max(32, ceilPow2(dim)));
  return {
    shader: softmaxShader,
    entryPoint: 'main',
    overrides: { WG: wg },
    workgroups: rows,
    bindings: [0, 1],
    uniformBinding: 2,
    uniforms: packU32(rows, dim),
  };
}

export const softmaxOp = kernelOp('softmax', {
  shaders: [softmaxShader],
  plan: (x) => ({ out: x.shape, inputs: [x], p: softmaxShape(x) }),
  cpu: ([x], r) => softmaxCpu(x, r),
  program: (r, limits) => softmaxProgram(r, limits),
});
