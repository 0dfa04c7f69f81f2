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
import type { OpDef } from '../core/op';
import { asRows } from './rows';

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

export const sumSquaresOp: OpDef<'sumSquares'> = {
  name: 'sumSquares',
  shaders: [adamwShader],
  cpu: (c) => async (x) => {
    asRows('sumSquares', 'x', x);
    return sumSquaresCpu(c.f32(x, 'sumSquares'));
  },
  gpu: (g) => async (x) => {
    asRows('sumSquares', 'x', x);
    const n = x.size;
    const parts = Math.max(1, Math.ceil(n / SUMSQ_CHUNK));
    const out = g.run('sumSquares', [parts], [x], () => sumSquaresProgram(n, g.limits));
    try {
      const p = new Float32Array(await g.readWords(out, parts));
      return n === 0 ? 0 : p.reduce((a, b) => a + b, 0);
    } finally {
      g.release(out);
    }
  },
};

export const adamwOp: OpDef<'adamw'> = {
  name: 'adamw',
  shaders: [adamwShader],
  cpu: (c) => (param, grad, m, v, hp) => {
    adamwShape(param, grad, m, v, hp);
    const [p, gr, fm, fv] = [param, grad, m, v].map((t) => c.f32(t, 'adamw'));
    adamwCpu(p, gr, fm, fv, hp);
    c.written(p);
  },
  gpu: (g) => (param, grad, m, v, hp) => {
    adamwShape(param, grad, m, v, hp);
    g.runInPlace('adamw', [param, grad, m, v], () => adamwProgram(param.size, hp, g.limits));
  },
};

export const zeroOp: OpDef<'zero'> = {
  name: 'zero',
  shaders: [adamwShader],
  cpu: (c) => (t) => {
    asRows('zero', 't', t);
    const ft = c.f32(t, 'zero');
    ft.fill(0);
    c.written(ft);
  },
  gpu: (g) => (t) => {
    asRows('zero', 't', t);
    g.runInPlace('zero', [t], () => zeroProgram(t.size, g.limits));
  },
};

export const addInPlaceOp: OpDef<'addInPlace'> = {
  name: 'addInPlace',
  shaders: [adamwShader],
  cpu:
    (c) =>
    (t, x, s = 1) => {
      expectSameShape('addInPlace', t, x, 't', 'x');
      const [ft, fx] = [c.f32(t, 'addInPlace'), c.f32(x, 'addInPlace')];
      for (let i = 0; i < ft.length; i++) ft[i] += s * fx[i];
      c.written(ft);
    },
  gpu:
    (g) =>
    (t, x, s = 1) => {
      expectSameShape('addInPlace', t, x, 't', 'x');
      g.runInPlace('addInPlace', [t, x], () => axpyProgram(t.size, s, g.limits));
    },
};
