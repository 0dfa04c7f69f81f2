/**
 * layerNorm: (x - mean) / sqrt(var + eps) * gamma + beta over the last axis (biased variance);
 * rmsNorm: x / sqrt(mean(x^2) + eps) * (addOne ? 1 + gamma : gamma).
 * CPU references (f64, two-pass) + GPU programs (shaders/layernorm.wgsl, one workgroup per row).
 */
import type { Tensor } from '../core/backend';
import { ceilPow2, floorPow2, type KernelLimits, type ProgramSpec, type ShaderRef } from '../core/program';
import { asRows, expectFinite, expectVector, type Rows } from './rows';
import { WORKGROUP_REDUCE_WGSL } from './shader-lib';
import { kernelOp } from '../core/op';

export const layernormShader: ShaderRef = {
  key: 'layernorm',
  url: new URL('../../shaders/layernorm.wgsl', import.meta.url),
  prelude: [WORKGROUP_REDUCE_WGSL],
};

export function layerNormCpu(
  x: Float32Array,
  gamma: Float32Array,
  beta: Float32Array | null,
  eps: number,
  { rows, dim }: Rows,
  y: Float32Array = new Float32Array(rows * dim),
): Float32Array {
  for (let r = 0; r < rows; r++) {
    const o = r * dim;
    let mean = 0;
    for (let i = 0; i < dim; i++) mean += x[o + i];
    mean /= dim;
    let v = 0;
    for (let i = 0; i < dim; i++) {
      const d = x[o + i] - mean;
      v += d * d; // not ** 2: V8 calls pow for it (same value, several times slower)
    }
    const inv = 1 / Math.sqrt(v / dim + eps);
    for (let i = 0; i < dim; i++) y[o + i] = (x[o + i] - mean) * inv * gamma[i] + (beta ? beta[i] : 0);
  }
  return y;
}

export function rmsNormCpu(
  x: Float32Array,
  gamma: Float32Array,
  eps: number,
  addOne: boolean,
  { rows, dim }: Rows,
): Float32Array {
  const y = new Float32Array(rows * dim);
  for (let r = 0; r < rows; r++) {
    const o = r * dim;
    let ss = 0;
    for (let i = 0; i < dim; i++) ss += x[o + i] * x[o + i];
    const inv = 1 / Math.sqrt(ss / dim + eps);
    for (let i = 0; i < dim; i++) y[o + i] = x[o + i] * inv * (addOne ? 1 + gamma[i] : gamma[i]);
  }
  return y;
}

export function layerNormShape(x: Tensor, gamma: Tensor, beta: Tensor | null, eps: number): Rows {
  const r = asRows('layerNorm', 'x', x);
  expectVector('layerNorm', 'gamma', gamma, r.dim);
  if (beta) expectVector('layerNorm', 'beta', beta, r.dim);
  expectFinite('layerNorm', 'eps', eps);
  return r;
}

export function rmsNormShape(x: Tensor, gamma: Tensor, eps: number): Rows {
  const r = asRows('rmsNorm', 'x', x);
  expectVector('rmsNorm', 'gamma', gamma, r.dim);
  expectFinite('rmsNorm', 'eps', eps);
  return r;
}

export interface NormMode {
  rms: boolean;
  hasBeta: boolean;
  addOne: boolean;
}

/** Bindings: x, gamma, beta (gamma again when there is none), y. */
export function normProgram(
  { rows, dim }: Rows,
  eps: number,
  mode: NormMode,
  limits: KernelLimits,
): ProgramSpec {
  const wg = Math.min(256, floorPow2(limits.maxInvocationsPerWorkgroup), Math.max(32, ceilPow2(dim)));
  const u = new ArrayBuffer(16);
  new Uint32Array(u, 0, 2).set([rows, dim]);
  new Float32Array(u, 8, 1)[0] = eps;
  return {
    shader: layernormShader,
    entryPoint: 'main',
    overrides: {
      WG: wg,
      RMS: mode.rms ? 1 : 0,
      HAS_BETA: mode.hasBeta ? 1 : 0,
      ADD_ONE: mode.addOne ? 1 : 0,
    },
    workgroups: rows,
    bindings: [0, 1, 2, 3],
    uniformBinding: 4,
    uniforms: u,
  };
}

export const layerNormOp = kernelOp('layerNorm', {
  shaders: [layernormShader],
  plan: (x, gamma, beta, eps) => {
    const r = layerNormShape(x, gamma, beta, eps);
    const mode = { rms: false, hasBeta: beta !== null, addOne: false };
    return { out: x.shape, inputs: [x, gamma, beta ?? gamma], p: { r, eps, mode } };
  },
  cpu: ([x, gamma, beta], { r, eps, mode }) => layerNormCpu(x, gamma, mode.hasBeta ? beta : null, eps, r),
  program: ({ r, eps, mode }, limits) => normProgram(r, eps, mode, limits),
});

export const rmsNormOp = kernelOp('rmsNorm', {
  shaders: [layernormShader],
  plan: (x, gamma, eps, opts) => {
    const r = rmsNormShape(x, gamma, eps);
    const mode = { rms: true, hasBeta: false, addOne: opts?.addOne ?? false };
    return { out: x.shape, inputs: [x, gamma, gamma], p: { r, eps, mode } };
  },
  cpu: ([x, gamma], { r, eps, mode }) => rmsNormCpu(x, gamma, eps, mode.addOne, r),
  program: ({ r, eps, mode }, limits) => normProgram(r, eps, mode, limits),
});
