/**
 * activation: relu, gelu (exact, erf form), gelu_tanh, silu, tanh; and swiglu = silu(gate) * up.
 * CPU references (f64, precise erf) + GPU programs (shaders/activation.wgsl).
 */
import { ERF_WGSL, FLAT_INDEX_WGSL } from './shader-lib';
import { ShapeError, type Tensor } from '../core/backend';
import { packU32, type KernelLimits, type ProgramSpec, type ShaderRef } from '../core/program';
import type { Activation } from '../core/transformer-ops';
import { expectSameShape } from './rows';
import { expectDtype } from './shape';
import { kernelOp } from '../core/op';

export const activationShader: ShaderRef = {
  key: 'activation',
  url: new URL('../../shaders/activation.wgsl', import.meta.url),
  prelude: [ERF_WGSL, FLAT_INDEX_WGSL],
};

export const ACTIVATIONS: readonly Activation[] = ['relu', 'gelu', 'gelu_tanh', 'silu', 'tanh'];

const TWO_OVER_SQRT_PI = 1.1283791670955126;

/**
 * erf in f64 to ~1e-15: Maclaurin series for |x| < 2.5 (largest term ~20, so ~1e-15 cancellation error),
 * the continued fraction erfc(x) = exp(-x^2)/sqrt(pi) / (x + (1/2)/(x + 1/(x + (3/2)/(x + ...)))) beyond
 * (evaluated bottom-up from 80 levels), and ±1 past |x| = 6.
 */
export function erfRef(x: number): number {
  const ax = Math.abs(x);
  if (ax >= 6) return Math.sign(x);
  if (ax < 2.5) {
    // erf(x) = 2/sqrt(pi) * sum_n (-1)^n x^(2n+1) / (n! (2n+1))
    let term = x;
    let sum = x;
    const x2 = x * x;
    for (let n = 1; n < 200; n++) {
      term *= -x2 / n;
      const add = term / (2 * n + 1);
      sum += add;
      if (Math.abs(add) < 1e-17 * Math.abs(sum)) break;
    }
    return TWO_OVER_SQRT_PI * sum;
  }
  let f = ax;
  for (let n = 80; n >= 1; n--) f = ax + n / 2 / f;
  const erfc = Math.exp(-ax * ax) / Math.sqrt(Math.PI) / f;
  return Math.sign(x) * (1 - erfc);
}

/** erf table for erfFast: values and slopes on a grid of step 1/ERF_STEPS over [0, 6] */
const ERF_STEPS = 128;
let erfTable: Float64Array | null = null;

/**
 * erf to ~1e-10 at a fraction of erfRef's cost (the CPU path's exact GELU): cubic Hermite interpolation of
 * erfRef on a grid of step 1/128 over [0, 6], with the exact slope 2/sqrt(pi)·exp(-x²) at the knots
 * (error <= h⁴/384·max|erf⁗| ≈ 6e-11); ±1 past |x| = 6, as erfRef.
 */
export function erfFast(x: number): number {
  const ax = x < 0 ? -x : x;
  if (!(ax < 6)) return ax !== ax ? NaN : x < 0 ? -1 : 1;
  let t = erfTable;
  if (!t) {
    const n = 6 * ERF_STEPS + 1;
    t = new Float64Array(2 * n);
    for (let i = 0; i < n; i++) {
      const xi = i / ERF_STEPS;
      t[2 * i] = erfRef(xi);
      t[2 * i + 1] = (TWO_OVER_SQRT_PI * Math.exp(-xi * xi)) / ERF_STEPS; // slope per grid step
    }
    erfTable = t;
  }
  const u = ax * ERF_STEPS;
  const i = u | 0;
  const s = u - i;
  const y0 = t[2 * i];
  const m0 = t[2 * i + 1];
  const y1 = t[2 * i + 2];
  const m1 = t[2 * i + 3];
  const s2 = s * s;
  const s3 = s2 * s;
  const y = (2 * s3 - 3 * s2 + 1) * y0 + (s3 - 2 * s2 + s) * m0 + (-2 * s3 + 3 * s2) * y1 + (s3 - s2) * m1;
  return x < 0 ? -y : y;
}

/**
 * The approximation the WGSL kernel uses (Abramowitz & Stegun 7.1.26, |error| <= 1.5e-7), evaluated here
 * in f32 steps so tests can bound the kernel's erf error against erfRef without a GPU.
 */
export function erfApproxF32(x: number): number {
  const f = Math.fround;
  const ax = f(Math.abs(x));
  const t = f(1 / f(1 + f(0.3275911 * ax)));
  let poly = f(1.061405429);
  for (const c of [-1.453152027, 1.421413741, -0.284496736, 0.254829592]) poly = f(f(poly * t) + c);
  poly = f(poly * t);
  const y = f(1 - f(poly * f(Math.exp(f(-f(ax * ax))))));
  return x < 0 ? -y : y;
}

export function activationRef(v: number, kind: Activation): number {
  switch (kind) {
    case 'relu':
      return v > 0 ? v : 0;
    case 'gelu':
      return 0.5 * v * (1 + erfRef(v / Math.SQRT2));
    case 'gelu_tanh':
      return 0.5 * v * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (v + 0.044715 * v * v * v)));
    case 'silu':
      return v / (1 + Math.exp(-v));
    case 'tanh':
      return Math.tanh(v);
  }
}

export function activationCpu(x: Float32Array, kind: Activation): Float32Array {
  const y = new Float32Array(x.length);
  if (kind === 'relu') {
    // the hot one (FFNs of USE-lite and BERT-style encoders): no call per element
    for (let i = 0; i < x.length; i++) y[i] = x[i] > 0 ? x[i] : 0;
    return y;
  }
  if (kind === 'gelu') {
    // exact (erf) GELU through the interpolated erf: the series of erfRef per element dominated BERT's CPU time
    for (let i = 0; i < x.length; i++) {
      const v = x[i];
      y[i] = 0.5 * v * (1 + erfFast(v * Math.SQRT1_2));
    }
    return y;
  }
  for (let i = 0; i < x.length; i++) y[i] = activationRef(x[i], kind);
  return y;
}

export function swigluCpu(gate: Float32Array, up: Float32Array): Float32Array {
  const y = new Float32Array(gate.length);
  for (let i = 0; i < gate.length; i++) y[i] = activationRef(gate[i], 'silu') * up[i];
  return y;
}

export function activationShape(x: Tensor, kind: Activation): void {
  expectDtype('activation', 'x', x, 'f32');
  if (!ACTIVATIONS.includes(kind)) {
    throw new ShapeError(
      'activation',
      `unknown activation '${String(kind)}' (one of ${ACTIVATIONS.join(', ')})`,
    );
  }
}

export function swigluShape(gate: Tensor, up: Tensor): void {
  expectSameShape('swiglu', gate, up, 'gate', 'up');
}

function wgSize(limits: KernelLimits): number {
  return Math.min(256, limits.maxInvocationsPerWorkgroup);
}

export function activationProgram(n: number, kind: Activation, limits: KernelLimits): ProgramSpec {
  const wg = wgSize(limits);
  return {
    shader: activationShader,
    entryPoint: 'unary',
    overrides: { WG: wg, KIND: ACTIVATIONS.indexOf(kind) },
    workgroups: Math.ceil(n / wg),
    bindings: [0, 2],
    uniformBinding: 3,
    uniforms: packU32(n),
  };
}

export function swigluProgram(n: number, limits: KernelLimits): ProgramSpec {
  const wg = wgSize(limits);
  return {
    shader: activationShader,
    entryPoint: 'swiglu',
    overrides: { WG: wg },
    workgroups: Math.ceil(n / wg),
    bindings: [0, 1, 2],
    uniformBinding: 3,
    uniforms: packU32(n),
  };
}

export const activationOp = kernelOp('activation', {
  shaders: [activationShader],
  plan: (x, kind) => {
    activationShape(x, kind);
    return { out: x.shape, inputs: [x], p: { n: x.size, kind } };
  },
  cpu: ([x], { kind }) => activationCpu(x, kind),
  program: ({ n, kind }, limits) => activationProgram(n, kind, limits),
});

export const swigluOp = kernelOp('swiglu', {
  shaders: [activationShader],
  plan: (gate, up) => {
    swigluShape(gate, up);
    return { out: gate.shape, inputs: [gate, up], p: gate.size };
  },
  cpu: ([gate, up]) => swigluCpu(gate, up),
  program: (n, limits) => swigluProgram(n, limits),
});
