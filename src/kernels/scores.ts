/** scores: q [Q,D], d [N,D] -> [Q,N], dot or cosine. CPU reference + GPU program. */
import type { Metric, Tensor } from '../core/backend';
import { packU32, type KernelLimits, type ProgramSpec, type ShaderRef } from '../core/program';
import { L2_EPS } from './l2norm';
import { squareTile } from './matmul';
import { expectDim, expectDtype, expectRank } from './shape';
import { kernelOp } from '../core/op';

export const scoresShader: ShaderRef = {
  key: 'scores',
  url: new URL('../../shaders/scores.wgsl', import.meta.url),
};

export interface ScoreDims {
  Q: number;
  N: number;
  D: number;
}

/** cosine = (q.d) / (max(||q||, 1e-12) * max(||d||, 1e-12)), the exact formula scores.wgsl uses. */
export function scoresCpu(q: Float32Array, d: Float32Array, dims: ScoreDims, metric: Metric): Float32Array {
  const { Q, N, D } = dims;
  const norm = (x: Float32Array, r: number) => {
    let s = 0;
    for (let i = 0; i < D; i++) s += x[r * D + i] * x[r * D + i];
    return Math.max(Math.sqrt(s), L2_EPS);
  };
  const qn = Array.from({ length: Q }, (_, r) => (metric === 'cosine' ? norm(q, r) : 1));
  const dn = Array.from({ length: N }, (_, r) => (metric === 'cosine' ? norm(d, r) : 1));
  const s = new Float32Array(Q * N);
  for (let i = 0; i < Q; i++) {
    for (let j = 0; j < N; j++) {
      let acc = 0;
      for (let k = 0; k < D; k++) acc += q[i * D + k] * d[j * D + k];
      s[i * N + j] = acc / (qn[i] * dn[j]);
    }
  }
  return s;
}

export function scoresShape(q: Tensor, d: Tensor, metric: Metric): ScoreDims {
  const op = 'scores';
  if (metric !== 'dot' && metric !== 'cosine')
    throw new RangeError(`scores: unknown metric '${String(metric)}'`);
  expectRank(op, 'q', q, 2);
  expectRank(op, 'd', d, 2);
  expectDtype(op, 'q', q, 'f32');
  expectDtype(op, 'd', d, 'f32');
  expectDim(op, `embedding dimension (q [${q.shape}] vs d [${d.shape}])`, d.shape[1], q.shape[1]);
  return { Q: q.shape[0], N: d.shape[0], D: q.shape[1] };
}

export function scoresProgram(dims: ScoreDims, metric: Metric, limits: KernelLimits): ProgramSpec {
  const tile = squareTile(limits);
  const tilesN = Math.ceil(dims.N / tile);
  const totalTiles = tilesN * Math.ceil(dims.Q / tile);
  return {
    shader: scoresShader,
    entryPoint: 'main',
    overrides: { TILE: tile, COSINE: metric === 'cosine' ? 1 : 0 },
    workgroups: totalTiles,
    bindings: [0, 1, 2],
    uniformBinding: 3,
    uniforms: packU32(dims.Q, dims.N, dims.D, tilesN, totalTiles),
  };
}

export const scoresOp = kernelOp('scores', {
  shaders: [scoresShader],
  plan: (q, d, metric) => {
    const dims = scoresShape(q, d, metric);
    return { out: [dims.Q, dims.N], inputs: [q, d], p: { dims, metric } };
  },
  cpu: ([q, d], { dims, metric }) => scoresCpu(q, d, dims, metric),
  program: ({ dims, metric }, limits) => scoresProgram(dims, metric, limits),
});
