/**
 * concat: a and b joined along one axis (a KV cache appending the new positions' keys and values).
 * Shapes agree except on that axis; seen as a [outer, Ta, inner] and b [outer, Tb, inner] -> [outer, Ta+Tb, inner].
 * CPU reference + GPU program (shaders/concat.wgsl, one output element per invocation). Exact (a copy).
 */
import { ShapeError, type Tensor } from '../core/backend';
import { packU32, type KernelLimits, type ProgramSpec, type ShaderRef } from '../core/program';
import { expectDtype } from './shape';
import { kernelOp } from '../core/op';

export const concatShader: ShaderRef = {
  key: 'concat',
  url: new URL('../../shaders/concat.wgsl', import.meta.url),
};

export interface ConcatDims {
  outer: number;
  ta: number;
  tb: number;
  inner: number;
}

export function concatCpu(a: Float32Array, b: Float32Array, d: ConcatDims): Float32Array {
  const { outer, ta, tb, inner } = d;
  const y = new Float32Array(outer * (ta + tb) * inner);
  for (let o = 0; o < outer; o++) {
    y.set(a.subarray(o * ta * inner, (o + 1) * ta * inner), o * (ta + tb) * inner);
    y.set(b.subarray(o * tb * inner, (o + 1) * tb * inner), (o * (ta + tb) + ta) * inner);
  }
  return y;
}

export function concatShape(a: Tensor, b: Tensor, axis: number): { dims: ConcatDims; out: number[] } {
  const op = 'concat';
  expectDtype(op, 'a', a, 'f32');
  expectDtype(op, 'b', b, 'f32');
  const r = a.shape.length;
  if (!Number.isInteger(axis) || axis < 0 || axis >= r)
    throw new ShapeError(op, `axis must be an integer in [0, ${r - 1}], got ${axis}`);
  if (b.shape.length !== r || a.shape.some((d, i) => i !== axis && d !== b.shape[i]))
    throw new ShapeError(
      op,
      `a [${a.shape.join(',')}] and b [${b.shape.join(',')}] must agree on every axis but ${axis}`,
    );
  if (a.size === 0 || b.size === 0) throw new ShapeError(op, 'a and b must not be empty');
  const prod = (s: readonly number[]) => s.reduce((x, y) => x * y, 1);
  const dims = {
    outer: prod(a.shape.slice(0, axis)),
    ta: a.shape[axis],
    tb: b.shape[axis],
    inner: prod(a.shape.slice(axis + 1)),
  };
  const out = [...a.shape];
  out[axis] = dims.ta + dims.tb;
  return { dims, out };
}

export function concatProgram(d: ConcatDims, limits: KernelLimits): ProgramSpec {
  const wg = Math.min(256, limits.maxInvocationsPerWorkgroup);
  const n = d.outer * (d.ta + d.tb) * d.inner;
  return {
    shader: concatShader,
    entryPoint: 'main',
    overrides: { WG: wg },
    workgroups: Math.ceil(n / wg),
    bindings: [0, 1, 2],
    uniformBinding: 3,
    uniforms: packU32(n, d.ta, d.tb, d.inner),
  };
}

export const concatOp = kernelOp('concat', {
  shaders: [concatShader],
  plan: (a, b, axis) => {
    const { dims, out } = concatShape(a, b, axis);
    return { out, inputs: [a, b], p: dims };
  },
  cpu: ([a, b], d) => concatCpu(a, b, d),
  program: (d, limits) => concatProgram(d, limits),
});
