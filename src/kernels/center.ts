/** centerColumns: x [N,D] minus its column means (PCA's first step). CPU reference + GPU program. */
import type { Tensor } from '../core/backend';
import { kernelOp } from '../core/op';
import { floorPow2, packU32, type KernelLimits, type ProgramSpec, type ShaderRef } from '../core/program';
import { expectDtype, expectRank } from './shape';

export const centerShader: ShaderRef = {
  key: 'center',
  url: new URL('../../shaders/center.wgsl', import.meta.url),
};

export interface CenterDims {
  rows: number;
  cols: number;
}

/** Reference: each column's mean summed in f64 and rounded once to f32, then x − mean in f32. */
export function centerColumnsCpu(x: Float32Array, { rows, cols }: CenterDims): Float32Array {
  const sums = new Float64Array(cols);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) sums[c] += x[r * cols + c];
  const means = Float32Array.from(sums, (s) => s / Math.max(1, rows));
  const y = new Float32Array(rows * cols);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) y[r * cols + c] = x[r * cols + c] - means[c];
  return y;
}

export function centerShape(x: Tensor): CenterDims {
  expectRank('centerColumns', 'x', x, 2);
  expectDtype('centerColumns', 'x', x, 'f32');
  return { rows: x.shape[0], cols: x.shape[1] };
}

/** COLS adjacent columns per workgroup, LANES rows of invocations; COLS·LANES within the device's limit. */
export function centerProgram(d: CenterDims, limits: KernelLimits): ProgramSpec {
  const cols = 16;
  const lanes = Math.max(1, Math.min(16, floorPow2(limits.maxInvocationsPerWorkgroup / cols)));
  const blocks = Math.ceil(d.cols / cols);
  return {
    shader: centerShader,
    entryPoint: 'main',
    overrides: { COLS: cols, LANES: lanes },
    workgroups: blocks,
    bindings: [0, 1],
    uniformBinding: 2,
    uniforms: packU32(d.rows, d.cols, blocks),
  };
}

export const centerColumnsOp = kernelOp('centerColumns', {
  shaders: [centerShader],
  plan: (x) => {
    const d = centerShape(x);
    return { out: [d.rows, d.cols], inputs: [x], p: d };
  },
  cpu: ([x], d) => centerColumnsCpu(x, d),
  program: (d, limits) => centerProgram(d, limits),
});
