/**
 * addPositional: x [B,T,D] + positions. A table [P,D] (P >= T) adds row t; 'sinusoidal' computes the
 * signal in the kernel: 'concat' (tensor2tensor / USE): i < D/2 sin(t inv(i)), else cos(t inv(i - D/2)),
 * inv(i) = exp(-i ln(max/min) / max(D/2 - 1, 1)) / min; 'interleaved' (Vaswani): dim 2i = sin(t inv'(i)),
 * 2i+1 = cos(t inv'(i)), inv'(i) = exp(-(2i/D) ln(max/min)) / min = 10000^(-2i/D) with the defaults
 * (min 1, max 1e4). CPU reference (f64) + GPU program (shaders/positional.wgsl, f32 angles, range-reduced).
 */
import { SIN_COS_WGSL } from './shader-lib';
import { ShapeError, type Tensor } from '../core/backend';
import { type KernelLimits, type ProgramSpec, type ShaderRef } from '../core/program';
import type { Positional } from '../core/transformer-ops';
import { expectDim, expectDtype, expectRank } from './shape';
import { kernelOp } from '../core/op';

export const positionalShader: ShaderRef = {
  key: 'positional',
  url: new URL('../../shaders/positional.wgsl', import.meta.url),
  prelude: [SIN_COS_WGSL],
};

export interface PositionalDims {
  B: number;
  T: number;
  D: number;
}

export interface Sinusoid {
  layout: 'concat' | 'interleaved';
  /** 1 / minTimescale */
  invMin: number;
  /** ln(maxTimescale / minTimescale) */
  logRange: number;
}

export function sinusoid(pos: Extract<Positional, { kind: 'sinusoidal' }>): Sinusoid {
  const min = pos.minTimescale ?? 1;
  const max = pos.maxTimescale ?? 1e4;
  if (!(min > 0) || !(max > 0) || !Number.isFinite(min) || !Number.isFinite(max)) {
    throw new ShapeError(
      'addPositional',
      `timescales must be positive and finite, got min ${min}, max ${max}`,
    );
  }
  if (pos.layout !== 'concat' && pos.layout !== 'interleaved') {
    throw new ShapeError('addPositional', `layout must be 'concat' or 'interleaved'`);
  }
  return { layout: pos.layout, invMin: 1 / min, logRange: Math.log(max / min) };
}

/** The signal value at position t, dim d (f64). */
export function sinusoidValue(s: Sinusoid, t: number, d: number, D: number): number {
  if (s.layout === 'concat') {
    const half = D / 2;
    const i = d < half ? d : d - half;
    const ang = t * s.invMin * Math.exp((-i * s.logRange) / Math.max(half - 1, 1));
    return d < half ? Math.sin(ang) : Math.cos(ang);
  }
  const i = Math.floor(d / 2);
  const ang = t * s.invMin * Math.exp(((-2 * i) / D) * s.logRange);
  return d % 2 === 0 ? Math.sin(ang) : Math.cos(ang);
}

export function addTableCpu(x: Float32Array, table: Float32Array, { B, T, D }: PositionalDims): Float32Array {
  const y = new Float32Array(B * T * D);
  for (let b = 0; b < B; b++) for (let i = 0; i < T * D; i++) y[b * T * D + i] = x[b * T * D + i] + table[i];
  return y;
}

export function addSinusoidCpu(x: Float32Array, s: Sinusoid, { B, T, D }: PositionalDims): Float32Array {
  const y = new Float32Array(B * T * D);
  for (let t = 0; t < T; t++) {
    for (let d = 0; d < D; d++) {
      const p = sinusoidValue(s, t, d, D);
      for (let b = 0; b < B; b++) y[(b * T + t) * D + d] = x[(b * T + t) * D + d] + p;
    }
  }
  return y;
}

export function positionalShape(x: Tensor, pos: Positional): PositionalDims {
  const op = 'addPositional';
  expectRank(op, 'x', x, 3);
  expectDtype(op, 'x', x, 'f32');
  const [B, T, D] = x.shape;
  if (pos.kind === 'table') {
    expectRank(op, 'table', pos.table, 2);
    expectDtype(op, 'table', pos.table, 'f32');
    expectDim(op, 'table width', pos.table.shape[1], D);
    if (pos.table.shape[0] < T)
      throw new ShapeError(op, `table has ${pos.table.shape[0]} positions, fewer than T = ${T}`);
  } else if (pos.kind === 'sinusoidal') {
    if (pos.layout === 'concat' && D % 2 !== 0)
      throw new ShapeError(op, `'concat' sinusoids need an even D, got ${D}`);
  } else {
    throw new ShapeError(op, `unknown positional kind '${String((pos as { kind: unknown }).kind)}'`);
  }
  return { B, T, D };
}

/** Bindings: x, table (x again for sinusoids), y. MODE 0 table, 1 concat, 2 interleaved. */
export function positionalProgram(
  dims: PositionalDims,
  s: Sinusoid | null,
  limits: KernelLimits,
): ProgramSpec {
  const wg = Math.min(256, limits.maxInvocationsPerWorkgroup);
  const n = dims.B * dims.T * dims.D;
  const u = new ArrayBuffer(32);
  new Uint32Array(u, 0, 3).set([n, dims.T, dims.D]);
  new Float32Array(u, 12, 2).set([s?.invMin ?? 0, s?.logRange ?? 0]);
  return {
    shader: positionalShader,
    entryPoint: 'main',
    overrides: { WG: wg, MODE: s === null ? 0 : s.layout === 'concat' ? 1 : 2 },
    workgroups: Math.ceil(n / wg),
    bindings: [0, 1, 2],
    uniformBinding: 3,
    uniforms: u,
  };
}

export const addPositionalOp = kernelOp('addPositional', {
  shaders: [positionalShader],
  plan: (x, pos) => {
    const d = positionalShape(x, pos);
    const s = pos.kind === 'table' ? null : sinusoid(pos);
    return { out: x.shape, inputs: [x, pos.kind === 'table' ? pos.table : x], p: { d, s } };
  },
  cpu: ([x, table], { d, s }) => (s ? addSinusoidCpu(x, s, d) : addTableCpu(x, table, d)),
  program: ({ d, s }, limits) => positionalProgram(d, s, limits),
});
