/**
 * layerNorm / rmsNorm backward over the last axis. With xhat the normalised row and inv = 1/sqrt(var + eps)
 * (layer norm) or 1/sqrt(mean(x^2) + eps) (rms), g = gamma (or 1 + gamma with addOne), dxhat = dy * g:
 *   layer: dx = inv * (dxhat - mean(dxhat) - xhat * mean(dxhat * xhat)); dgamma = Σ dy*xhat; dbeta = Σ dy
 *   rms:   dx = inv * (dxhat - x * inv^2 * mean(dxhat * x));              dgamma = Σ dy*x*inv
 * CPU reference (f64) + GPU program (shaders/grad_norm.wgsl: one workgroup per row writes dx and dy*xhat,
 * whose column sums — grad_linear colsum — give dgamma).
 */
import { ceilPow2, floorPow2, type KernelLimits, type ProgramSpec, type ShaderRef } from '../core/program';
import { asRows, expectFinite, expectSameShape, expectVector, type Rows } from './rows';
import type { Tensor } from '../core/backend';
import { WORKGROUP_REDUCE_WGSL } from './shader-lib';
import type { GpuOpContext, OpDef } from '../core/op';
import { colsumProgram, gradLinearShader } from './grad-linear';

export const gradNormShader: ShaderRef = {
  key: 'grad_norm',
  url: new URL('../../shaders/grad_norm.wgsl', import.meta.url),
  prelude: [WORKGROUP_REDUCE_WGSL],
};

/** rms = false: layer norm; returns dx and the per-element dy*xhat (summed over rows for dgamma). */
function normBackward(
  x: Float32Array,
  gamma: Float32Array,
  dy: Float32Array,
  eps: number,
  rms: boolean,
  addOne: boolean,
  { rows, dim }: Rows,
): { dx: Float32Array; dgamma: Float32Array } {
  const dx = new Float32Array(rows * dim);
  const dg = new Float64Array(dim);
  const xhat = new Float64Array(dim);
  const dxh = new Float64Array(dim);
  for (let r = 0; r < rows; r++) {
    const o = r * dim;
    let mean = 0;
    if (!rms) {
      for (let i = 0; i < dim; i++) mean += x[o + i];
      mean /= dim;
    }
    let ss = 0;
    for (let i = 0; i < dim; i++) ss += (x[o + i] - mean) ** 2;
    const inv = 1 / Math.sqrt(ss / dim + eps);
    let sumD = 0;
    let sumDX = 0;
    for (let i = 0; i < dim; i++) {
      xhat[i] = (x[o + i] - mean) * inv;
      dxh[i] = dy[o + i] * (addOne ? 1 + gamma[i] : gamma[i]);
      dg[i] += dy[o + i] * xhat[i];
      sumD += dxh[i];
      sumDX += dxh[i] * xhat[i];
    }
    for (let i = 0; i < dim; i++) {
      dx[o + i] = rms
        ? inv * (dxh[i] - (xhat[i] * sumDX) / dim)
        : inv * (dxh[i] - sumD / dim - (xhat[i] * sumDX) / dim);
    }
  }
  return { dx, dgamma: Float32Array.from(dg) };
}

export function layerNormBackwardCpu(
  x: Float32Array,
  gamma: Float32Array,
  dy: Float32Array,
  eps: number,
  r: Rows,
): { dx: Float32Array; dgamma: Float32Array; dbeta: Float32Array } {
  const { dx, dgamma } = normBackward(x, gamma, dy, eps, false, false, r);
  const dbeta = new Float64Array(r.dim);
  for (let i = 0; i < r.rows * r.dim; i++) dbeta[i % r.dim] += dy[i];
  return { dx, dgamma, dbeta: Float32Array.from(dbeta) };
}

export function rmsNormBackwardCpu(
  x: Float32Array,
  gamma: Float32Array,
  dy: Float32Array,
  eps: number,
  addOne: boolean,
  r: Rows,
): { dx: Float32Array; dgamma: Float32Array } {
  return normBackward(x, gamma, dy, eps, true, addOne, r);
}

export function normBackwardShape(op: string, x: Tensor, gamma: Tensor, dy: Tensor, eps: number): Rows {
  const r = asRows(op, 'x', x);
  expectVector(op, 'gamma', gamma, r.dim);
  expectSameShape(op, x, dy, 'x', 'dy');
  expectFinite(op, 'eps', eps);
  return r;
}

/** Bindings: x, gamma, dy, dx, dyxhat (both [rows, dim]). */
export function normBackwardProgram(
  { rows, dim }: Rows,
  eps: number,
  rms: boolean,
  addOne: boolean,
  limits: KernelLimits,
): ProgramSpec {
  const wg = Math.min(256, floorPow2(limits.maxInvocationsPerWorkgroup), Math.max(32, ceilPow2(dim)));
  const u = new ArrayBuffer(16);
  new Uint32Array(u, 0, 2).set([rows, dim]);
  new Float32Array(u, 8, 1)[0] = eps;
  return {
    shader: gradNormShader,
    entryPoint: 'main',
    overrides: { WG: wg, RMS: rms ? 1 : 0, ADD_ONE: addOne ? 1 : 0 },
    workgroups: Math.max(1, rows),
    bindings: [0, 1, 2, 3, 4],
    uniformBinding: 5,
    uniforms: u,
  };
}

export const layerNormBackwardOp: OpDef<'layerNormBackward'> = {
  name: 'layerNormBackward',
  shaders: [gradNormShader, gradLinearShader],
  cpu: (c) => (x, gamma, dy, eps) => {
    const op = 'layerNormBackward';
    const rows = normBackwardShape(op, x, gamma, dy, eps);
    const r = layerNormBackwardCpu(c.f32(x, op), c.f32(gamma, op), c.f32(dy, op), eps, rows);
    return {
      dx: c.make(op, r.dx, x.shape),
      dgamma: c.make(op, r.dgamma, gamma.shape),
      dbeta: c.make(op, r.dbeta, gamma.shape),
    };
  },
  gpu: (g) => (x, gamma, dy, eps) => {
    const op = 'layerNormBackward';
    const r = normBackwardShape(op, x, gamma, dy, eps);
    const [dx, dgamma] = normBackwardGpu(g, op, x, gamma, dy, eps, false, false, r);
    const dbeta = g.run(op, gamma.shape, [dy], () => colsumProgram(r.rows, r.dim, g.limits));
    return { dx, dgamma, dbeta };
  },
};

export const rmsNormBackwardOp: OpDef<'rmsNormBackward'> = {
  name: 'rmsNormBackward',
  shaders: [gradNormShader, gradLinearShader],
  cpu: (c) => (x, gamma, dy, eps, opts) => {
    const op = 'rmsNormBackward';
    const rows = normBackwardShape(op, x, gamma, dy, eps);
    const r = rmsNormBackwardCpu(
      c.f32(x, op),
      c.f32(gamma, op),
      c.f32(dy, op),
      eps,
      opts?.addOne ?? false,
      rows,
    );
    return { dx: c.make(op, r.dx, x.shape), dgamma: c.make(op, r.dgamma, gamma.shape) };
  },
  gpu: (g) => (x, gamma, dy, eps, opts) => {
    const op = 'rmsNormBackward';
    const r = normBackwardShape(op, x, gamma, dy, eps);
    const [dx, dgamma] = normBackwardGpu(g, op, x, gamma, dy, eps, true, opts?.addOne ?? false, r);
    return { dx, dgamma };
  },
};

/** dx and dy*xhat per row (grad_norm), then dgamma = column sums of dy*xhat (grad_linear colsum). */
function normBackwardGpu(
  g: GpuOpContext,
  op: string,
  x: Tensor,
  gamma: Tensor,
  dy: Tensor,
  eps: number,
  rms: boolean,
  addOne: boolean,
  r: Rows,
): [Tensor, Tensor] {
  const L = g.limits;
  const ins = [x, gamma, dy].map((t) => g.own(t, op));
  return g.scoped(op, () => {
    const dx = g.alloc(op, x.shape, 'f32');
    const prod = g.alloc(op, x.shape, 'f32');
    const dgamma = g.alloc(op, gamma.shape, 'f32');
    if (dx.size > 0) g.enqueue(normBackwardProgram(r, eps, rms, addOne, L), [...ins, dx, prod]);
    if (dgamma.size > 0) g.enqueue(colsumProgram(r.rows, r.dim, L), [prod, dgamma]);
    g.release(prod);
    return [dx, dgamma];
  });
}
