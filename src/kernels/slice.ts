/**
 * slice: rows start..start+len-1 of one axis of x (a fused projection's output split into its parts: Phi-3's
 * q|k|v and gate|up). Seen as x [outer, T, inner] -> y [outer, len, inner]. Its backward, sliceBackward,
 * places dy back into a zero [outer, T, inner]. CPU references + GPU programs (shaders/slice.wgsl, one output
 * element per invocation; override PAD for the backward). Exact (copies).
 */
import { ShapeError, type Tensor } from '../core/backend';
import { packU32, type KernelLimits, type ProgramSpec, type ShaderRef } from '../core/program';
import { expectDtype } from './shape';
import { kernelOp } from '../core/op';

export const sliceShader: ShaderRef = {
  key: 'slice',
  url: new URL('../../shaders/slice.wgsl', import.meta.url),
};

export interface SliceDims {
  outer: number;
  /** the axis's full length */
  T: number;
  start: number;
  len: number;
  inner: number;
}

export function sliceCpu(x: Float32Array, d: SliceDims): Float32Array {
  const { outer, T, start, len, inner } = d;
  const y = new Float32Array(outer * len * inner);
  for (let o = 0; o < outer; o++)
    y.set(x.subarray((o * T + start) * inner, (o * T + start + len) * inner), o * len * inner);
  return y;
}

export function sliceBackwardCpu(dy: Float32Array, d: SliceDims): Float32Array {
  const { outer, T, start, len, inner } = d;
  const dx = new Float32Array(outer * T * inner);
  for (let o = 0; o < outer; o++)
    dx.set(dy.subarray(o * len * inner, (o + 1) * len * inner), (o * T + start) * inner);
  return dx;
}

const prod = (s: readonly number[]) => s.reduce((x, y) => x * y, 1);

/** shape check; `full` is the axis's length (the input's for slice, the result's for the backward) */
function sliceDims(op: string, t: Tensor, axis: number, start: number, len: number, full: number): SliceDims {
  expectDtype(op, 'x', t, 'f32');
  const r = t.shape.length;
  if (!Number.isInteger(axis) || axis < 0 || axis >= r)
    throw new ShapeError(op, `axis must be an integer in [0, ${r - 1}], got ${axis}`);
  if (!Number.isInteger(start) || !Number.isInteger(len) || start < 0 || len < 1 || start + len > full)
    throw new ShapeError(op, `slice ${start}..${start + len} must lie inside the axis' 0..${full}`);
  return {
    outer: prod(t.shape.slice(0, axis)),
    T: full,
    start,
    len,
    inner: prod(t.shape.slice(axis + 1)),
  };
}

export function sliceProgram(d: SliceDims, pad: boolean, limits: KernelLimits): ProgramSpec {
  const wg = Math.min(256, limits.maxInvocationsPerWorkgroup);
  const n = d.outer * (pad ? d.T : d.len) * d.inner;
  return {
    shader: sliceShader,
    entryPoint: 'main',
    overrides: { WG: wg, PAD: pad ? 1 : 0 },
    workgroups: Math.max(1, Math.ceil(n / wg)),
    bindings: [0, 1],
    uniformBinding: 2,
    uniforms: packU32(n, d.T, d.start, d.len, d.inner),
  };
}

export const sliceOp = kernelOp('slice', {
  shaders: [sliceShader],
  plan: (x, axis, start, len) => {
    const d = sliceDims('slice', x, axis, start, len, x.shape[axis] ?? 0);
    const out = [...x.shape];
    out[axis] = len;
    return { out, inputs: [x], p: d };
  },
  cpu: ([x], d) => sliceCpu(x, d),
  program: (d, limits) => sliceProgram(d, false, limits),
});

export const sliceBackwardOp = kernelOp('sliceBackward', {
  shaders: [sliceShader],
  plan: (dy, axis, start, full) => {
    const len = dy.shape[axis] ?? 0;
    const d = sliceDims('sliceBackward', dy, axis, start, len, full);
    const out = [...dy.shape];
    out[axis] = full;
    return { out, inputs: [dy], p: d };
  },
  cpu: ([dy], d) => sliceBackwardCpu(dy, d),
  program: (d, limits) => sliceProgram(d, true, limits),
});
