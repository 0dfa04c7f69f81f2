/**
 * linear: y[..., N] = x[..., K] · W + bias. layout 'kn': W is [K,N] (TF/Keras); 'nk': W is [N,K]
 * (PyTorch nn.Linear). W may be f32, f16 (backend.tensorF16; the CPU reference then runs on the
 * f16-rounded values, see kernels/f16.ts) or q8 (backend.tensorQ8: int8 per stored row, the CPU reference
 * runs on the dequantised values, kernels/q8.ts). CPU reference + GPU program (register-blocked tiled matmul, shaders/linear.wgsl, with the weight
 * format from a prelude in shaders/lib/linear_weights_*.wgsl).
 */
import { ShapeError, type Tensor } from '../core/backend';
import { floorPow2, packU32, type KernelLimits, type ProgramSpec, type ShaderRef } from '../core/program';
import { asRows, expectVector } from './rows';
import { expectDim, expectDtype, expectRank } from './shape';
import { kernelOp } from '../core/op';

/** The register-blocked tiling, written once; each variant prepends the prelude that declares its weight
 * format (W binding, W tile, element type WTile, loader weight(i)). */
const LINEAR_WGSL = new URL('../../shaders/linear.wgsl', import.meta.url);

export const linearShader: ShaderRef = {
  key: 'linear',
  url: LINEAR_WGSL,
  prelude: [new URL('../../shaders/lib/linear_weights_f32.wgsl', import.meta.url)],
};
/** f16 weights packed two per u32, unpacked with core `unpack2x16float`: runs on every adapter. */
export const linearF16wShader: ShaderRef = {
  key: 'linear_f16w',
  url: LINEAR_WGSL,
  prelude: [new URL('../../shaders/lib/linear_weights_f16_packed.wgsl', import.meta.url)],
};
/** int8 weights per stored row with f32 scales in one buffer (kernels/q8.ts): runs on every adapter. */
export const linearQ8Shader: ShaderRef = {
  key: 'linear_q8',
  url: LINEAR_WGSL,
  prelude: [new URL('../../shaders/lib/linear_weights_q8.wgsl', import.meta.url)],
};
/** f16 weights as `array<f16>`: only on devices with the `shader-f16` feature. Its prelude opens with
 * `enable f16;`, which must be the module's first statement, so it stays first in the list. */
export const linearF16Shader: ShaderRef = {
  key: 'linear_f16',
  url: LINEAR_WGSL,
  prelude: [new URL('../../shaders/lib/linear_weights_f16.wgsl', import.meta.url)],
};

export type LinearLayout = 'kn' | 'nk';

export interface LinearDims {
  /** rows of x (product of its leading dims) */
  M: number;
  K: number;
  N: number;
}

/** Reference: f64 accumulation in k order, bias added in f64, rounded once to f32. */
export function linearCpu(
  x: Float32Array,
  w: Float32Array,
  bias: Float32Array | null,
  dims: LinearDims,
  layout: LinearLayout,
): Float32Array {
  const { M, K, N } = dims;
  const y = new Float32Array(M * N);
  for (let i = 0; i < M; i++) {
    for (let j = 0; j < N; j++) {
      let acc = bias ? bias[j] : 0;
      for (let k = 0; k < K; k++) acc += x[i * K + k] * (layout === 'kn' ? w[k * N + j] : w[j * K + k]);
      y[i * N + j] = acc;
    }
  }
  return y;
}

/** The weight dtypes linear's kernels read: f32, f16 (backend.tensorF16) and q8 (backend.tensorQ8). */
export type LinearWDtype = 'f32' | 'f16' | 'q8';

/** Checks linear's operands. An f16 or q8 w is accepted only with allowF16 (the forward op and
 * linearBackward do; callers whose kernels read W as f32 keep rejecting it). */
export function linearShape(
  x: Tensor,
  w: Tensor,
  bias: Tensor | null,
  layout: LinearLayout,
  allowF16 = false,
): LinearDims & { outShape: number[] } {
  const op = 'linear';
  if (layout !== 'kn' && layout !== 'nk')
    throw new ShapeError(op, `layout must be 'kn' or 'nk', got '${String(layout)}'`);
  const { rows: M, dim: K } = asRows(op, 'x', x);
  expectRank(op, 'w', w, 2);
  if (!(allowF16 && (w.dtype === 'f16' || w.dtype === 'q8'))) expectDtype(op, 'w', w, 'f32');
  const [Kw, N] = layout === 'kn' ? w.shape : [w.shape[1], w.shape[0]];
  expectDim(op, `inner dimension (x [${x.shape}] · w [${w.shape}] as '${layout}')`, Kw, K);
  if (bias) expectVector(op, 'bias', bias, N);
  return { M, K, N, outShape: [...x.shape.slice(0, -1), N] };
}

/** Per-thread outputs are TM x TN = 4 x 4 (constants in the shader); the K step is BK. */
const THREAD_TILE = 4;
const BK = 16;

/** Workgroup side: 16 x 16 threads (64 x 64 outputs) where the device allows, else smaller. */
export function linearWorkgroup(limits: KernelLimits): number {
  let wg = Math.min(16, floorPow2(Math.sqrt(limits.maxInvocationsPerWorkgroup)));
  while (wg > 1 && 2 * BK * wg * THREAD_TILE * 4 > limits.maxWorkgroupStorageBytes) wg /= 2;
  return wg;
}

/**
 * The workgroup's row side for M rows: the square side `wg`, or for fewer rows than a square block holds
 * the smallest power of two whose 4-row tiles cover them (M = 1: one row of threads, a 4 x 4·wg block).
 */
export function linearRowsWorkgroup(wg: number, M: number): number {
  let wgy = 1;
  while (wgy < wg && wgy * THREAD_TILE < M) wgy *= 2;
  return wgy;
}

/** The WGSL program for a weight dtype: f32 weights -> linear; f16 -> linear_f16 where the device has
 * `shader-f16` (limits.shaderF16), else the packed linear_f16w that every adapter runs; q8 -> linear_q8. */
export function linearShaderFor(wDtype: LinearWDtype, limits: KernelLimits): ShaderRef {
  if (wDtype === 'f32') return linearShader;
  if (wDtype === 'q8') return linearQ8Shader;
  return limits.shaderF16 ? linearF16Shader : linearF16wShader;
}

export function linearProgram(
  dims: LinearDims,
  layout: LinearLayout,
  hasBias: boolean,
  limits: KernelLimits,
  wDtype: LinearWDtype = 'f32',
): ProgramSpec {
  const wg = linearWorkgroup(limits);
  const wgy = linearRowsWorkgroup(wg, dims.M);
  const tilesN = Math.ceil(dims.N / (wg * THREAD_TILE));
  const total = tilesN * Math.ceil(dims.M / (wgy * THREAD_TILE));
  return {
    shader: linearShaderFor(wDtype, limits),
    entryPoint: 'main',
    overrides: { WG: wg, WGY: wgy, BK, NK: layout === 'nk' ? 1 : 0, HAS_BIAS: hasBias ? 1 : 0 },
    workgroups: total,
    bindings: [0, 1, 2, 3],
    uniformBinding: 4,
    uniforms: packU32(dims.M, dims.K, dims.N, tilesN, total),
  };
}

/** The forward op; its CPU side here is the reference (the CPU backend runs its WASM SIMD gemm when it has one). */
export const linearOp = kernelOp('linear', {
  shaders: [linearShader, linearF16wShader, linearF16Shader, linearQ8Shader],
  plan: (x, w, bias, layout) => {
    const d = linearShape(x, w, bias, layout, true);
    const wDtype: LinearWDtype = w.dtype === 'f16' || w.dtype === 'q8' ? w.dtype : 'f32';
    return { out: d.outShape, inputs: [x, w, bias ?? w], p: { d, layout, hasBias: bias !== null, wDtype } };
  },
  cpu: ([x, w, bias], { d, layout, hasBias }) => linearCpu(x, w, hasBias ? bias : null, d, layout),
  program: ({ d, layout, hasBias, wDtype }, limits) => linearProgram(d, layout, hasBias, limits, wDtype),
});
