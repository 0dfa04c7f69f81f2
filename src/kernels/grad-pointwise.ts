/**
 * Backward of the pointwise and token ops: activations (dx = dy * f'(x)), swiglu, rope (inverse rotation),
 * masked mean pool and cls/last pool (dy spread back over tokens), softmax (dx = y * (dy - Σ dy*y)) and
 * l2 normalisation (dx = (dy - y (y·dy)) / max(||x||, 1e-12)). CPU references (f64 math) + GPU programs
 * (shaders/grad_pointwise.wgsl, shaders/grad_rows.wgsl; rope backward reuses shaders/rope.wgsl).
 */
import { ERF_WGSL, FLAT_INDEX_WGSL, WORKGROUP_REDUCE_WGSL } from './shader-lib';
import type { Activation } from '../core/transformer-ops';
import {
  ceilPow2,
  floorPow2,
  packU32,
  type KernelLimits,
  type ProgramSpec,
  type ShaderRef,
} from '../core/program';
import { activationRef, activationShape, ACTIVATIONS, erfRef, swigluShape } from './activation';
import { ropeInvFreq, ropeProgram, ropeShader, ropeShape, type RopeDims } from './rope';
import { asRows, expectSameShape, type Rows } from './rows';
import type { PoolMode, TokenPoolDims } from './pool';
import { MASK_EPS } from './meanpool';
import { kernelOp, type OpDef } from '../core/op';
import { ShapeError } from '../core/backend';
import { l2normShape } from './l2norm';
import { tokenGradShape } from './grad-shapes';

export const gradPointwiseShader: ShaderRef = {
  key: 'grad_pointwise',
  url: new URL('../../shaders/grad_pointwise.wgsl', import.meta.url),
  prelude: [ERF_WGSL, FLAT_INDEX_WGSL],
};
export const gradRowsShader: ShaderRef = {
  key: 'grad_rows',
  url: new URL('../../shaders/grad_rows.wgsl', import.meta.url),
  prelude: [WORKGROUP_REDUCE_WGSL],
};

const SQRT_2_OVER_PI = Math.sqrt(2 / Math.PI);
const INV_SQRT_2PI = 1 / Math.sqrt(2 * Math.PI);

/** f'(v) in f64 */
export function activationGradRef(v: number, kind: Activation): number {
  switch (kind) {
    case 'relu':
      return v > 0 ? 1 : 0;
    case 'gelu':
      return 0.5 * (1 + erfRef(v / Math.SQRT2)) + v * Math.exp(-0.5 * v * v) * INV_SQRT_2PI;
    case 'gelu_tanh': {
      const t = Math.tanh(SQRT_2_OVER_PI * (v + 0.044715 * v * v * v));
      return 0.5 * (1 + t) + 0.5 * v * (1 - t * t) * SQRT_2_OVER_PI * (1 + 3 * 0.044715 * v * v);
    }
    case 'silu': {
      const s = 1 / (1 + Math.exp(-v));
      return s * (1 + v * (1 - s));
    }
    case 'tanh': {
      const t = Math.tanh(v);
      return 1 - t * t;
    }
  }
}

export function activationBackwardCpu(x: Float32Array, dy: Float32Array, kind: Activation): Float32Array {
  const dx = new Float32Array(x.length);
  for (let i = 0; i < x.length; i++) dx[i] = dy[i] * activationGradRef(x[i], kind);
  return dx;
}

export function swigluBackwardCpu(
  gate: Float32Array,
  up: Float32Array,
  dy: Float32Array,
): { dgate: Float32Array; dup: Float32Array } {
  const dgate = new Float32Array(gate.length);
  const dup = new Float32Array(gate.length);
  for (let i = 0; i < gate.length; i++) {
    dgate[i] = dy[i] * up[i] * activationGradRef(gate[i], 'silu');
    dup[i] = dy[i] * activationRef(gate[i], 'silu');
  }
  return { dgate, dup };
}

export function softmaxBackwardCpu(y: Float32Array, dy: Float32Array, { rows, dim }: Rows): Float32Array {
  const dx = new Float32Array(rows * dim);
  for (let r = 0; r < rows; r++) {
    const o = r * dim;
    let s = 0;
    for (let i = 0; i < dim; i++) s += dy[o + i] * y[o + i];
    for (let i = 0; i < dim; i++) dx[o + i] = y[o + i] * (dy[o + i] - s);
  }
  return dx;
}

export function l2NormalizeBackwardCpu(
  x: Float32Array,
  dy: Float32Array,
  rows: number,
  dim: number,
): Float32Array {
  const dx = new Float32Array(rows * dim);
  for (let r = 0; r < rows; r++) {
    const o = r * dim;
    let ss = 0;
    for (let i = 0; i < dim; i++) ss += x[o + i] * x[o + i];
    const norm = Math.sqrt(ss);
    const n = Math.max(norm, 1e-12);
    let yd = 0;
    if (norm > 1e-12) for (let i = 0; i < dim; i++) yd += (x[o + i] / n) * dy[o + i];
    for (let i = 0; i < dim; i++) dx[o + i] = (dy[o + i] - (x[o + i] / n) * yd) / n;
  }
  return dx;
}

/** mscale times the rotation by -angle: the transpose of rope's map mscale * R (its inverse when mscale = 1) */
export function ropeBackwardCpu(dy: Float32Array, dims: RopeDims, theta: number): Float32Array {
  const { B, T, H, Dh, r, style } = dims;
  const off = dims.offset ?? 0;
  const m = dims.mscale ?? 1;
  const dx = dy.slice();
  const half = r / 2;
  for (let b = 0; b < B; b++) {
    for (let t = 0; t < T; t++) {
      for (let h = 0; h < H; h++) {
        const o = ((b * T + t) * H + h) * Dh;
        for (let i = 0; i < half; i++) {
          const ang = (t + off) * ropeInvFreq(dims, theta, i);
          const [c, s] = [m * Math.cos(ang), m * Math.sin(ang)];
          const i1 = style === 'half' ? o + i : o + 2 * i;
          const i2 = style === 'half' ? o + i + half : o + 2 * i + 1;
          const [g1, g2] = [dy[i1], dy[i2]];
          dx[i1] = g1 * c + g2 * s;
          dx[i2] = g2 * c - g1 * s;
        }
      }
    }
  }
  return dx;
}

export function maskedMeanPoolBackwardCpu(
  mask: Float32Array,
  dy: Float32Array,
  { B, T, D }: TokenPoolDims,
): Float32Array {
  const dx = new Float32Array(B * T * D);
  for (let b = 0; b < B; b++) {
    let msum = 0;
    for (let t = 0; t < T; t++) msum += mask[b * T + t];
    const denom = Math.max(msum, MASK_EPS);
    for (let t = 0; t < T; t++) {
      const w = mask[b * T + t] / denom;
      for (let d = 0; d < D; d++) dx[(b * T + t) * D + d] = w * dy[b * D + d];
    }
  }
  return dx;
}

export function poolBackwardCpu(
  mask: Float32Array,
  dy: Float32Array,
  { B, T, D }: TokenPoolDims,
  mode: PoolMode,
): Float32Array {
  const dx = new Float32Array(B * T * D);
  for (let b = 0; b < B; b++) {
    let t = 0;
    if (mode === 'last') {
      t = T - 1;
      while (t >= 0 && mask[b * T + t] === 0) t--;
      if (t < 0) continue;
    }
    if (T > 0) dx.set(dy.subarray(b * D, (b + 1) * D), (b * T + t) * D);
  }
  return dx;
}

function wg1d(limits: KernelLimits): number {
  return Math.min(256, limits.maxInvocationsPerWorkgroup);
}

function pointwise(
  entry: string,
  n: number,
  bindings: number[],
  overrides: Record<string, number>,
  u: number[],
  limits: KernelLimits,
): ProgramSpec {
  const wg = wg1d(limits);
  return {
    shader: gradPointwiseShader,
    entryPoint: entry,
    overrides: { WG: wg, ...overrides },
    workgroups: Math.max(1, Math.ceil(n / wg)),
    bindings,
    uniformBinding: 4,
    uniforms: packU32(n, ...u),
  };
}

/** Bindings: x (0), dy (1), dx (3). */
export function activationBackwardProgram(n: number, kind: Activation, limits: KernelLimits): ProgramSpec {
  return pointwise('activation', n, [0, 1, 3], { KIND: ACTIVATIONS.indexOf(kind) }, [], limits);
}

/** Bindings: gate (0), up (2), dy (1), out (3); 'swiglu_gate' writes dgate, 'swiglu_up' dup. */
export function swigluBackwardPrograms(n: number, limits: KernelLimits): [ProgramSpec, ProgramSpec] {
  return [
    pointwise('swiglu_gate', n, [0, 2, 1, 3], {}, [], limits),
    pointwise('swiglu_up', n, [0, 2, 1, 3], {}, [], limits),
  ];
}

/** One invocation per (b, d). Bindings: mask (0), dy (1), dx (3). mode: 0 mean, 1 cls, 2 last. */
export function tokenPoolBackwardProgram(
  { B, T, D }: TokenPoolDims,
  mode: 'mean' | PoolMode,
  limits: KernelLimits,
): ProgramSpec {
  return pointwise(
    'token_pool',
    B * D,
    [0, 1, 3],
    { MODE: ['mean', 'cls', 'last'].indexOf(mode) },
    [T, D],
    limits,
  );
}

/** Row-wise: entry 'softmax' (bindings y, dy, dx) or 'l2norm' (x, dy, dx); one workgroup per row. */
export function rowsBackwardProgram(
  entry: 'softmax' | 'l2norm',
  { rows, dim }: Rows,
  limits: KernelLimits,
): ProgramSpec {
  const wg = Math.min(256, floorPow2(limits.maxInvocationsPerWorkgroup), Math.max(32, ceilPow2(dim)));
  return {
    shader: gradRowsShader,
    entryPoint: entry,
    overrides: { WG: wg },
    workgroups: Math.max(1, rows),
    bindings: [0, 1, 2],
    uniformBinding: 3,
    uniforms: packU32(rows, dim),
  };
}

/** Bindings: dy, dx. */
/** rope backward = the forward rope kernel rotating by -angle (override INVERSE). Bindings: dy, dx. */
export function ropeBackwardProgram(dims: RopeDims, theta: number, limits: KernelLimits): ProgramSpec {
  const fwd = ropeProgram(dims, theta, limits);
  return { ...fwd, overrides: { ...fwd.overrides, INVERSE: 1 }, workgroups: Math.max(1, fwd.workgroups) };
}

export const activationBackwardOp = kernelOp('activationBackward', {
  shaders: [gradPointwiseShader],
  plan: (x, dy, kind) => {
    activationShape(x, kind);
    expectSameShape('activationBackward', x, dy, 'x', 'dy');
    return { out: x.shape, inputs: [x, dy], p: { n: x.size, kind } };
  },
  cpu: ([x, dy], { kind }) => activationBackwardCpu(x, dy, kind),
  program: ({ n, kind }, limits) => activationBackwardProgram(n, kind, limits),
});

/** Two programs over the same operands: dgate, then dup. */
export const swigluBackwardOp: OpDef<'swigluBackward'> = {
  name: 'swigluBackward',
  shaders: [gradPointwiseShader],
  cpu: (c) => (gate, up, dy) => {
    const op = 'swigluBackward';
    swigluShape(gate, up);
    expectSameShape(op, gate, dy, 'gate', 'dy');
    const r = swigluBackwardCpu(c.f32(gate, op), c.f32(up, op), c.f32(dy, op));
    return { dgate: c.make(op, r.dgate, gate.shape), dup: c.make(op, r.dup, gate.shape) };
  },
  gpu: (g) => (gate, up, dy) => {
    const op = 'swigluBackward';
    swigluShape(gate, up);
    expectSameShape(op, gate, dy, 'gate', 'dy');
    const [pg, pu] = swigluBackwardPrograms(gate.size, g.limits);
    return {
      dgate: g.run(op, gate.shape, [gate, up, dy], () => pg),
      dup: g.run(op, gate.shape, [gate, up, dy], () => pu),
    };
  },
};

export const softmaxBackwardOp = kernelOp('softmaxBackward', {
  shaders: [gradRowsShader],
  plan: (y, dy) => {
    const r = asRows('softmaxBackward', 'y', y);
    expectSameShape('softmaxBackward', y, dy, 'y', 'dy');
    return { out: y.shape, inputs: [y, dy], p: r };
  },
  cpu: ([y, dy], r) => softmaxBackwardCpu(y, dy, r),
  program: (r, limits) => rowsBackwardProgram('softmax', r, limits),
});

export const l2NormalizeBackwardOp = kernelOp('l2NormalizeBackward', {
  shaders: [gradRowsShader],
  plan: (x, dy) => {
    const r = l2normShape(x);
    expectSameShape('l2NormalizeBackward', x, dy, 'x', 'dy');
    return { out: x.shape, inputs: [x, dy], p: r };
  },
  cpu: ([x, dy], { rows, dim }) => l2NormalizeBackwardCpu(x, dy, rows, dim),
  program: (r, limits) => rowsBackwardProgram('l2norm', r, limits),
});

export const ropeBackwardOp = kernelOp('ropeBackward', {
  shaders: [ropeShader],
  plan: (dy, opts) => ({ out: dy.shape, inputs: [dy], p: { d: ropeShape(dy, opts), theta: opts.theta } }),
  cpu: ([dy], { d, theta }) => ropeBackwardCpu(dy, d, theta),
  program: ({ d, theta }, limits) => ropeBackwardProgram(d, theta, limits),
});

export const maskedMeanPoolBackwardOp = kernelOp('maskedMeanPoolBackward', {
  shaders: [gradPointwiseShader],
  plan: (mask, dy, T) => {
    const d = tokenGradShape('maskedMeanPoolBackward', mask, dy, T);
    return { out: [d.B, d.T, d.D], inputs: [mask, dy], p: d };
  },
  cpu: ([mask, dy], d) => maskedMeanPoolBackwardCpu(mask, dy, d),
  program: (d, limits) => tokenPoolBackwardProgram(d, 'mean', limits),
});

export const poolBackwardOp = kernelOp('poolBackward', {
  shaders: [gradPointwiseShader],
  plan: (mask, dy, T, mode) => {
    const d = tokenGradShape('poolBackward', mask, dy, T);
    if (mode !== 'cls' && mode !== 'last')
      throw new ShapeError('poolBackward', `mode must be 'cls' or 'last', got '${String(mode)}'`);
    return { out: [d.B, d.T, d.D], inputs: [mask, dy], p: { d, mode } };
  },
  cpu: ([mask, dy], { d, mode }) => poolBackwardCpu(mask, dy, d, mode),
  program: ({ d, mode }, limits) => tokenPoolBackwardProgram(d, mode, limits),
});
