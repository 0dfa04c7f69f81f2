/** matmul: C[M,N] = A[M,K] x B[K,N] (or B stored [N,K] with transposeB). CPU reference + GPU program. */
import type { Tensor } from '../core/backend';
import { floorPow2, packU32, type KernelLimits, type ProgramSpec, type ShaderRef } from '../core/program';
import { expectDim, expectDtype, expectRank } from './shape';
import { kernelOp } from '../core/op';

export const matmulShader: ShaderRef = {
  key: 'matmul',
  url: new URL('../../shaders/matmul.wgsl', import.meta.url),
};

export interface MatmulDims {
  M: number;
  K: number;
  N: number;
}

/** Reference: accumulates in k order, in f64, rounds once to f32. */
export function matmulCpu(
  a: Float32Array,
  b: Float32Array,
  dims: MatmulDims,
  transposeB = false,
): Float32Array {
  const { M, K, N } = dims;
  const c = new Float32Array(M * N);
  for (let i = 0; i < M; i++) {
    for (let j = 0; j < N; j++) {
      let acc = 0;
      for (let k = 0; k < K; k++) acc += a[i * K + k] * (transposeB ? b[j * K + k] : b[k * N + j]);
      c[i * N + j] = acc;
    }
  }
  return c;
}

export function matmulShape(a: Tensor, b: Tensor, transposeB: boolean): MatmulDims {
  const op = 'matmul';
  expectRank(op, 'a', a, 2);
  expectRank(op, 'b', b, 2);
  expectDtype(op, 'a', a, 'f32');
  expectDtype(op, 'b', b, 'f32');
  const [M, K] = a.shape;
  const N = transposeB ? b.shape[0] : b.shape[1];
  const Kb = transposeB ? b.shape[1] : b.shape[0];
  expectDim(op, `inner dimensions (a [${a.shape}] x b [${b.shape}]${transposeB ? '^T' : ''})`, Kb, K);
  return { M, K, N };
}

/** Square tile side: the largest power of two <= 16 whose TILE^2 invocations and two tiles fit the device. */
export function squareTile(limits: KernelLimits): number {
  let t = Math.min(16, floorPow2(Math.sqrt(limits.maxInvocationsPerWorkgroup)));
  while (t > 1 && 2 * t * t * 4 > limits.maxWorkgroupStorageBytes) t /= 2;
  return t;
}

export function matmulProgram(dims: MatmulDims, transposeB: boolean, limits: KernelLimits): ProgramSpec {
  const tile = squareTile(limits);
  const tilesN = Math.ceil(dims.N / tile);
  const totalTiles = tilesN * Math.ceil(dims.M / tile);
  return {
    shader: matmulShader,
    entryPoint: 'main',
    overrides: { TILE: tile, TRANSPOSE_B: transposeB ? 1 : 0 },
    workgroups: totalTiles,
    bindings: [0, 1, 2],
    uniformBinding: 3,
    uniforms: packU32(dims.M, dims.K, dims.N, tilesN, totalTiles),
  };
}

export const matmulOp = kernelOp('matmul', {
  shaders: [matmulShader],
  plan: (a, b, opts) => {
    const tb = opts?.transposeB ?? false;
    const d = matmulShape(a, b, tb);
    return { out: [d.M, d.N], inputs: [a, b], p: { d, tb } };
  },
  cpu: ([a, b], { d, tb }) => matmulCpu(a, b, d, tb),
  program: ({ d, tb }, limits) => matmulProgram(d, tb, limits),
});
