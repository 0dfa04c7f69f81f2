/**
 * elementwise: add (same shape, or b [D] broadcast over the leading dims of a [..., D]), mul (same shape)
 * and scale (x * s). CPU references + GPU programs (shaders/elementwise.wgsl).
 */
import { ShapeError, type Tensor } from '../core/backend';
import { packU32, type KernelLimits, type ProgramSpec, type ShaderRef } from '../core/program';
import { asRows, expectFinite, expectSameShape } from './rows';
import { expectDtype } from './shape';
import { kernelOp } from '../core/op';

export const elementwiseShader: ShaderRef = {
  key: 'elementwise',
  url: new URL('../../shaders/elementwise.wgsl', import.meta.url),
};

/** a + b where b has a's size (same shape) or is [D] broadcast over rows of a [..., D] (into `y` when given). */
export function addCpu(
  a: Float32Array,
  b: Float32Array,
  y: Float32Array = new Float32Array(a.length),
): Float32Array {
  const D = b.length;
  // two loops: the same-shape one (residual adds) without the index arithmetic of the broadcast
  if (D === a.length) for (let i = 0; i < a.length; i++) y[i] = a[i] + b[i];
  else for (let o = 0; o < a.length; o += D) for (let i = 0; i < D; i++) y[o + i] = a[o + i] + b[i];
  return y;
}

export function mulCpu(a: Float32Array, b: Float32Array): Float32Array {
  const y = new Float32Array(a.length);
  for (let i = 0; i < a.length; i++) y[i] = a[i] * b[i];
  return y;
}

export function scaleCpu(x: Float32Array, s: number): Float32Array {
  const y = new Float32Array(x.length);
  const sf = Math.fround(s);
  for (let i = 0; i < x.length; i++) y[i] = x[i] * sf;
  return y;
}

/** Whether add broadcasts b [D] over a (false: same shape). */
export function addShape(a: Tensor, b: Tensor): { broadcast: boolean } {
  expectDtype('add', 'a', a, 'f32');
  expectDtype('add', 'b', b, 'f32');
  const sameShape = a.shape.length === b.shape.length && a.shape.every((d, i) => d === b.shape[i]);
  if (sameShape) return { broadcast: false };
  const { dim } = asRows('add', 'a', a);
  if (b.shape.length === 1 && b.shape[0] === dim) return { broadcast: true };
  throw new ShapeError(
    'add',
    `b [${b.shape.join(',')}] must have the shape of a [${a.shape.join(',')}] or be [${dim}] (a's last dim)`,
  );
}

export function mulShape(a: Tensor, b: Tensor): void {
  expectSameShape('mul', a, b);
}

export function scaleShape(x: Tensor, s: number): void {
  expectDtype('scale', 'x', x, 'f32');
  expectFinite('scale', 's', s);
}

export type BinaryOp = 'add' | 'mul';

function elementwiseWg(limits: KernelLimits): number {
  return Math.min(256, limits.maxInvocationsPerWorkgroup);
}

/** Program over n elements of a; bdim = length of b (n for same shape, D for broadcast add). */
export function binaryProgram(op: BinaryOp, n: number, bdim: number, limits: KernelLimits): ProgramSpec {
  const wg = elementwiseWg(limits);
  return {
    shader: elementwiseShader,
    entryPoint: 'binary',
    overrides: { WG: wg, OP: op === 'add' ? 0 : 1 },
    workgroups: Math.ceil(n / wg),
    bindings: [0, 1, 2],
    uniformBinding: 3,
    uniforms: packU32(n, bdim),
  };
}

export function scaleProgram(n: number, s: number, limits: KernelLimits): ProgramSpec {
  const wg = elementwiseWg(limits);
  const u = new ArrayBuffer(16);
  new Uint32Array(u, 0, 1)[0] = n;
  new Float32Array(u, 4, 1)[0] = s;
  return {
    shader: elementwiseShader,
    entryPoint: 'scale',
    overrides: { WG: wg },
    workgroups: Math.ceil(n / wg),
    bindings: [0, 2],
    uniformBinding: 4,
    uniforms: u,
  };
}

export const addOp = kernelOp('add', {
  shaders: [elementwiseShader],
  plan: (a, b) => {
    addShape(a, b);
    return { out: a.shape, inputs: [a, b], p: { n: a.size, bdim: b.size } };
  },
  cpu: ([a, b]) => addCpu(a, b),
  program: ({ n, bdim }, limits) => binaryProgram('add', n, bdim, limits),
});

export const mulOp = kernelOp('mul', {
  shaders: [elementwiseShader],
  plan: (a, b) => {
    mulShape(a, b);
    return { out: a.shape, inputs: [a, b], p: { n: a.size, bdim: b.size } };
  },
  cpu: ([a, b]) => mulCpu(a, b),
  program: ({ n, bdim }, limits) => binaryProgram('mul', n, bdim, limits),
});

export const scaleOp = kernelOp('scale', {
  shaders: [elementwiseShader],
  plan: (x, s) => {
    scaleShape(x, s);
    return { out: x.shape, inputs: [x], p: { n: x.size, s } };
  },
  cpu: ([x], { s }) => scaleCpu(x, s),
  program: ({ n, s }, limits) => scaleProgram(n, s, limits),
});
