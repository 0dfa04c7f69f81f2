/**
 * linear backward: y = x·W + b (layout 'kn': W [K,N]; 'nk': W [N,K]). dx = dy·Wᵀ (the forward linear
 * kernel with the other layout), dw = xᵀ·dy in W's layout, db = column sums of dy.
 * W may be f16 or q8 (a frozen base weight, backend.tensorF16 / tensorQ8): dx reads it as such; dw is f32
 * in W's shape.
 * CPU reference (f64 accumulation) + GPU programs (shaders/grad_linear.wgsl: dw and column sums).
 */
import { FLAT_INDEX_WGSL } from './shader-lib';
import { ShapeError, type Tensor } from '../core/backend';
import { packU32, type KernelLimits, type ProgramSpec, type ShaderRef } from '../core/program';
import { asRows } from './rows';
import { expectDim } from './shape';
import type { GpuOpContext, OpDef } from '../core/op';
import {
  linearF16Shader,
  linearF16wShader,
  linearProgram,
  linearQ8Shader,
  linearShader,
  linearShape,
  type LinearDims,
  type LinearLayout,
} from './linear';

export const gradLinearShader: ShaderRef = {
  key: 'grad_linear',
  url: new URL('../../shaders/grad_linear.wgsl', import.meta.url),
  prelude: [FLAT_INDEX_WGSL],
};

export function linearBackwardCpu(
  x: Float32Array,
  w: Float32Array,
  dy: Float32Array,
  { M, K, N }: LinearDims,
  layout: LinearLayout,
  needDx: boolean,
): { dx: Float32Array | null; dw: Float32Array; db: Float32Array } {
  const wAt = (k: number, n: number): number => (layout === 'kn' ? k * N + n : n * K + k);
  let dx: Float32Array | null = null;
  if (needDx) {
    dx = new Float32Array(M * K);
    for (let i = 0; i < M; i++) {
      for (let k = 0; k < K; k++) {
        let acc = 0;
        for (let n = 0; n < N; n++) acc += dy[i * N + n] * w[wAt(k, n)];
        dx[i * K + k] = acc;
      }
    }
  }
  const dw = new Float32Array(K * N);
  for (let k = 0; k < K; k++) {
    for (let n = 0; n < N; n++) {
      let acc = 0;
      for (let i = 0; i < M; i++) acc += x[i * K + k] * dy[i * N + n];
      dw[wAt(k, n)] = acc;
    }
  }
  return { dx, dw, db: columnSumsCpu(dy, M, N) };
}

/** Σ over rows of a [rows, cols] matrix, in f64. */
export function columnSumsCpu(a: Float32Array, rows: number, cols: number): Float32Array {
  const s = new Float64Array(cols);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) s[c] += a[r * cols + c];
  return Float32Array.from(s);
}

export function linearBackwardShape(
  x: Tensor,
  w: Tensor,
  dy: Tensor,
  layout: LinearLayout,
): LinearDims & { outShape: number[] } {
  const d = linearShape(x, w, null, layout, true);
  const r = asRows('linearBackward', 'dy', dy);
  if (dy.shape.length !== d.outShape.length || dy.shape.some((v, i) => v !== d.outShape[i])) {
    throw new ShapeError(
      'linearBackward',
      `dy [${dy.shape.join(',')}] must have the output shape [${d.outShape.join(',')}]`,
    );
  }
  expectDim('linearBackward', 'dy last dim', r.dim, d.N);
  return d;
}

function wg1d(limits: KernelLimits): number {
  return Math.min(256, limits.maxInvocationsPerWorkgroup);
}

/**
 * dW = xᵀ·dy written in W's layout. Bindings: x [M,K], dy [M,N], dw. One invocation per dw element,
 * looping over M (also used for the transposed-A products of infoNce).
 */
export function dwProgram({ M, K, N }: LinearDims, layout: LinearLayout, limits: KernelLimits): ProgramSpec {
  const wg = wg1d(limits);
  return {
    shader: gradLinearShader,
    entryPoint: 'dw',
    overrides: { WG: wg, NK: layout === 'nk' ? 1 : 0 },
    workgroups: Math.max(1, Math.ceil((K * N) / wg)),
    bindings: [0, 1, 2],
    uniformBinding: 3,
    uniforms: packU32(M, K, N),
  };
}

/** Column sums of a [rows, cols]. Bindings: a, out [cols]. */
export function colsumProgram(rows: number, cols: number, limits: KernelLimits): ProgramSpec {
  const wg = wg1d(limits);
  return {
    shader: gradLinearShader,
    entryPoint: 'colsum',
    overrides: { WG: wg },
    workgroups: Math.max(1, Math.ceil(cols / wg)),
    bindings: [0, 2],
    uniformBinding: 3,
    uniforms: packU32(rows, cols, cols),
  };
}

/** O [K,M] = Aᵀ for A [M,K]. Bindings: a, out. */
export function transposeProgram(M: number, K: number, limits: KernelLimits): ProgramSpec {
  const wg = wg1d(limits);
  return {
    shader: gradLinearShader,
    entryPoint: 'transpose',
    overrides: { WG: wg },
    workgroups: Math.max(1, Math.ceil((M * K) / wg)),
    bindings: [0, 2],
    uniformBinding: 3,
    uniforms: packU32(M, K, 0),
  };
}

/** Below this many multiply-adds dW runs on the direct dw kernel; above, transpose + tiled linear. */
export const DW_TILED_MIN_FLOPS = 1 << 20;

/** CPU: the reference (the CPU backend runs its WASM SIMD gemm when it has one). GPU: dx on the forward linear
 * kernel over W read in the other layout, dW on grad_linear (or transpose + tiled linear), db column sums. */
export const linearBackwardOp: OpDef<'linearBackward'> = {
  name: 'linearBackward',
  shaders: [gradLinearShader, linearShader, linearF16wShader, linearF16Shader, linearQ8Shader],
  cpu: (c) => (x, w, dy, layout, needDx) => {
    const op = 'linearBackward';
    const d = linearBackwardShape(x, w, dy, layout);
    const r = linearBackwardCpu(c.f32(x, op), c.f32(w, op), c.f32(dy, op), d, layout, needDx);
    return {
      dx: r.dx ? c.make(op, r.dx, x.shape) : null,
      dw: c.make(op, r.dw, w.shape),
      db: c.make(op, r.db, [d.N]),
    };
  },
  gpu: (g) => (x, w, dy, layout, needDx) => {
    const op = 'linearBackward';
    const d = linearBackwardShape(x, w, dy, layout);
    const L = g.limits;
    // dx [M,K] = dy [M,N] · Wᵀ: the forward kernel over W read in the other layout (N plays K)
    const back = { M: d.M, K: d.N, N: d.K };
    const wDtype = w.dtype === 'f16' || w.dtype === 'q8' ? w.dtype : 'f32';
    const dx = needDx
      ? g.run(op, x.shape, [dy, w, w], () =>
          linearProgram(back, layout === 'kn' ? 'nk' : 'kn', false, L, wDtype),
        )
      : null;
    const dw = dwGpu(g, op, x, dy, d, layout, w.shape);
    const db = g.run(op, [d.N], [dy], () => colsumProgram(d.M, d.N, L));
    return { dx, dw, db };
  },
};

/** dW = xᵀ·dy in W's layout: small products on the direct kernel; large ones transpose the left operand
 * (x for 'kn', dy for 'nk') and run the tiled linear kernel. */
function dwGpu(
  g: GpuOpContext,
  op: string,
  x: Tensor,
  dy: Tensor,
  d: LinearDims,
  layout: LinearLayout,
  shape: readonly number[],
): Tensor {
  const L = g.limits;
  if (d.M * d.K * d.N < DW_TILED_MIN_FLOPS) return g.run(op, shape, [x, dy], () => dwProgram(d, layout, L));
  const [left, right, rows, cols, n] = layout === 'kn' ? [x, dy, d.M, d.K, d.N] : [dy, x, d.M, d.N, d.K];
  const [l, r] = [g.own(left, op), g.own(right, op)];
  return g.scoped(op, () => {
    const lt = g.alloc(op, [cols, rows], 'f32');
    const out = g.alloc(op, [...shape], 'f32');
    g.enqueue(transposeProgram(rows, cols, L), [l, lt]);
    g.enqueue(linearProgram({ M: cols, K: rows, N: n }, 'kn', false, L), [lt, r, r, out]);
    g.release(lt);
    return out;
  });
}
