/**
 * Optimiser and accumulation ops: AdamW (decoupled weight decay, bias-corrected moments):
 *   m = b1 m + (1-b1) g; v = b2 v + (1-b2) g^2; mhat = m / (1-b1^t); vhat = v / (1-b2^t)
 *   p -= lr * (mhat / (sqrt(vhat) + eps) + wd * p)
 * zero, t += s*x, and Σ x^2. CPU references (f64 math) + GPU programs (shaders/adamw.wgsl).
 */
import { FLAT_INDEX_WGSL, WORKGROUP_REDUCE_WGSL } from './shader-lib';
import { ShapeError, type Tensor } from '../core/backend';
import type { AdamWStep } from '../core/training-ops';
import { floorPow2, packU32, type KernelLimits, type ProgramSpec, type ShaderRef } from '../core/program';
import { expectSameShape } from './rows';

export const adamwShader: ShaderRef = {
  key: 'adamw',
  url: new URL('../../shaders/adamw.wgsl', import.meta.url),
  prelude: [FLAT_INDEX_WGSL, WORKGROUP_REDUCE_WGSL],
};

export function adamwCpu(
  p: Float32Array,
  g: Float32Array,
  m: Float32Array,
  v: Float32Array,
  hp: AdamWStep,
): void {
  const bc1 = 1 - Math.pow(hp.beta1, hp.step);
  const bc2 = 1 - Math.pow(hp.beta2, hp.step);
  for (let i = 0; i < p.length; i++) {
    const mi = hp.beta1 * m[i] + (1 - hp.beta1) * g[i];
    const vi = hp.beta2 * v[i] + (1 - hp.beta2) * g[i] * g[i];
    m[i] = mi;
    v[i] = vi;
    p[i] = p[i] - hp.lr * (mi / bc1 / (Math.sqrt(vi / bc2) + hp.eps) + hp.weightDecay * p[i]);
  }
}

export function sumSquaresCpu(x: Float32Array): number {
  let s = 0;
  for (let i = 0; i < x.length; i++) s += x[i] * x[i];
  return s;
}

export function adamwShape(param: Tensor, grad: Tensor, m: Tensor, v: Tensor, hp: AdamWStep): void {
  expectSameShape('adamw', param, grad, 'param', 'grad');
  expectSameShape('adamw', param, m, 'param', 'm');
  expectSameShape('adamw', param, v, 'param', 'v');
  if (!Number.isInteger(hp.step) || hp.step < 1)
    throw new ShapeError('adamw', `step must be an integer >= 1, got ${hp.step}`);
  for (const k of ['lr', 'beta1', 'beta2', 'eps', 'weightDecay'] as const) {
    if (!Number.isFinite(hp[k])) throw new ShapeError('adamw', `${k} must be finite, got ${hp[k]}`);
  }
}

function wg1d(limits: KernelLimits): number {
  return Math.min(256, limits.maxInvocationsPerWorkgroup);
}

/** Bindings: param, grad, m, v (all read_write except grad). */
export function adamwProgram(n: number, hp: AdamWStep, limits: KernelLimits): ProgramSpec {
  const wg = wg1d(limits);
  const u = new ArrayBuffer(48);
  new Uint32Array(u, 0, 1)[0] = n;
  const bc1 = 1 - Math.pow(hp.beta1, hp.step);
  const bc2 = 1 - Math.pow(hp.beta2, hp.step);
  new Float32Array(u, 4, 9).set([
    hp.lr,
    hp.beta1,
    hp.beta2,
    hp.eps,
    hp.weightDecay,
    1 / bc1,
    1 / bc2,
    1 - hp.beta1,
    1 - hp.beta2,
  ]);
  return {
    shader: adamwShader,
    entryPoint: 'adamw',
    overrides: { WG: wg },
    workgroups: Math.max(1, Math.ceil(n / wg)),
    bindings: [0, 1, 2, 3],
    uniformBinding: 4,
    uniforms: u,
  };
}

/** Bindings: t. */
export function zeroProgram(n: number, limits: KernelLimits): ProgramSpec {
  const wg = wg1d(limits);
  return {
    shader: adamwShader,
    entryPoint: 'zero',
    overrides: { WG: wg },
    workgroups: Math.max(1, Math.ceil(n / wg)),
    bindings: [0],
    uniformBinding: 4,
    uniforms: packU32(n, 0, 0, 0, 0, 0, 0, 0, 0, 0),
  };
}

/** Bindings: t, x. t += s * x */
export function axpyProgram(n: number, s: number, limits: KernelLimits): ProgramSpec {
  const wg = wg1d(limits);
  const u = new ArrayBuffer(48);
  new Uint32Array(u, 0, 1)[0] = n;
  new Float32Array(u, 4, 1)[0] = s;
  return {
    shader: adamwShader,
    entryPoint: 'axpy',
    overrides: { WG: wg },
    workgroups: Math.max(1, Math.ceil(n / wg)),
    bindings: [0, 1],
    uniformBinding: 4,
    uniforms: u,
  };
}

/** elements per workgroup of the Σ x^2 partial sums */
export const SUMSQ_CHUNK = 4096;

/** Bindings: x (slot 1), partials [ceil(n / SUMSQ_CHUNK)] (slot 2). */
export function sumSquaresProgram(n: number, limits: KernelLimits): ProgramSpec {
  const wg = Math.min(256, floorPow2(limits.maxInvocationsPerWorkgroup));
  return {
    shader: adamwShader,
    entryPoint: 'sumsq',
    overrides: { WG: wg, CHUNK: SUMSQ_CHUNK },
    workgroups: Math.max(1, Math.ceil(n / SUMSQ_CHUNK)),
    bindings: [1, 2],
    uniformBinding: 4,
    uniforms: packU32(n, 0, 0, 0, 0, 0, 0, 0, 0, 0),
  };
}
