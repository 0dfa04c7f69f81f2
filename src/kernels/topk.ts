/**
 * topk: exact per-row top-k of scores [R,N], best first; equal scores -> lower index first.
 * Rows with fewer than k columns are padded with (-Infinity, 0xffffffff). Scores must not be NaN.
 * CPU reference, an exact merge of two top-k lists, and the GPU pass plan for topk.wgsl.
 */
import type { Tensor, TopK } from '../core/backend';
import {
  ceilPow2,
  floorPow2,
  packU32,
  type KernelLimits,
  type ProgramSpec,
  type ShaderRef,
} from '../core/program';
import { expectDtype, expectRank } from './shape';
import type { GpuOpContext, OpDef } from '../core/op';

export const topkShader: ShaderRef = {
  key: 'topk',
  url: new URL('../../shaders/topk.wgsl', import.meta.url),
};

export const MAX_K = 1024;
export const PAD_INDEX = 0xffffffff;

/** true when (av, ai) ranks before (bv, bi) */
export function better(av: number, ai: number, bv: number, bi: number): boolean {
  return av > bv || (av === bv && ai < bi);
}

export function checkK(k: number): void {
  if (!Number.isInteger(k) || k < 1 || k > MAX_K)
    throw new RangeError(`topK: k must be an integer in 1..${MAX_K}, got ${k}`);
}

export function topKShape(scores: Tensor, k: number): { R: number; N: number } {
  checkK(k);
  expectRank('topK', 'scores', scores, 2);
  expectDtype('topK', 'scores', scores, 'f32');
  return { R: scores.shape[0], N: scores.shape[1] };
}

export function emptyTopK(
  rows: number,
  k: number,
): { rows: number; k: number; scores: Float32Array; indices: Uint32Array } {
  return {
    rows,
    k,
    scores: new Float32Array(rows * k).fill(-Infinity),
    indices: new Uint32Array(rows * k).fill(PAD_INDEX),
  };
}

export function topKCpu(scores: Float32Array, R: number, N: number, k: number): TopK {
  checkK(k);
  const out = emptyTopK(R, k);
  const order = new Uint32Array(N);
  for (let r = 0; r < R; r++) {
    const row = scores.subarray(r * N, r * N + N);
    for (let j = 0; j < N; j++) order[j] = j;
    order.sort((a, b) => (row[a] !== row[b] ? (row[a] > row[b] ? -1 : 1) : a - b));
    for (let j = 0; j < Math.min(k, N); j++) {
      out.scores[r * k + j] = row[order[j]];
      out.indices[r * k + j] = order[j];
    }
  }
  return out;
}

/**
 * Exact merge of per-row lists `a` and `b` (same rows) into the best `k` of each row. Indices of `b`
 * are shifted by `bOffset` (padding stays padding), which is how chunk-local columns become global.
 */
export function mergeTopK(a: TopK, b: TopK, k: number, bOffset = 0): TopK {
  if (a.rows !== b.rows) throw new RangeError(`mergeTopK: ${a.rows} rows vs ${b.rows}`);
  const out = emptyTopK(a.rows, k);
  for (let r = 0; r < a.rows; r++) {
    let i = 0;
    let j = 0;
    for (let o = 0; o < k; o++) {
      const ai = i < a.k ? a.indices[r * a.k + i] : PAD_INDEX;
      const bRaw = j < b.k ? b.indices[r * b.k + j] : PAD_INDEX;
      const bi = bRaw === PAD_INDEX ? PAD_INDEX : bRaw + bOffset;
      const av = ai === PAD_INDEX ? -Infinity : a.scores[r * a.k + i];
      const bv = bi === PAD_INDEX ? -Infinity : b.scores[r * b.k + j];
      if (ai === PAD_INDEX && bi === PAD_INDEX) break;
      if (bi === PAD_INDEX || (ai !== PAD_INDEX && better(av, ai, bv, bi))) {
        out.scores[r * k + o] = av;
        out.indices[r * k + o] = ai;
        i++;
      } else {
        out.scores[r * k + o] = bv;
        out.indices[r * k + o] = bi;
        j++;
      }
    }
  }
  return out;
}

/** One topk.wgsl pass; `len` entries per row in, `segs * kp` per row out. */
export interface TopKPass {
  readonly spec: ProgramSpec;
  readonly outEntries: number;
}

/** Largest sort segment the device's workgroup memory holds (8 bytes a pair), at most 2048. */
export function maxSegment(limits: KernelLimits): number {
  return Math.min(2048, floorPow2(limits.maxWorkgroupStorageBytes / 8));
}

/** Plan the passes for scores [R,N]: one tile_sort pass, then merge passes until one list per row is left. */
export function topKPasses(R: number, N: number, k: number, limits: KernelLimits): TopKPass[] {
  checkK(k);
  const kp = ceilPow2(k);
  const sMax = maxSegment(limits);
  if (2 * kp > sMax)
    throw new RangeError(
      `topK: k=${k} needs ${16 * kp} bytes of workgroup memory, the device has ${limits.maxWorkgroupStorageBytes}`,
    );
  const passes: TopKPass[] = [];
  let len = N;
  let first = true;
  for (;;) {
    const S = Math.min(sMax, Math.max(2 * kp, ceilPow2(len)));
    const segs = Math.ceil(len / S);
    const wg = Math.min(256, floorPow2(limits.maxInvocationsPerWorkgroup), S / 2);
    const total = R * segs;
    const u = new DataView(packU32(R, len, len, segs, kp, total, 0, 0));
    u.setFloat32(24, -Infinity, true);
    passes.push({
      spec: {
        shader: topkShader,
        entryPoint: first ? 'tile_sort' : 'merge',
        overrides: { S, WG: wg },
        workgroups: total,
        bindings: first ? [0, 2, 3] : [0, 1, 2, 3],
        uniformBinding: 4,
        uniforms: u.buffer as ArrayBuffer,
      },
      outEntries: total * kp,
    });
    if (segs === 1) return passes;
    len = segs * kp;
    first = false;
  }
}

export const topKOp: OpDef<'topK'> = {
  name: 'topK',
  shaders: [topkShader],
  cpu: (c) => async (scores, k) => {
    const { R, N } = topKShape(scores, k);
    return topKCpu(c.f32(scores, 'topK'), R, N, k);
  },
  gpu: (g) => (scores, k) => topKGpu(g, scores, k),
};

/** The passes of topKPasses, each reading the previous one's (values, indices), then one readback. */
async function topKGpu(g: GpuOpContext, scores: Tensor, k: number): Promise<TopK> {
  const op = 'topK';
  const { R, N } = topKShape(scores, k);
  const src = g.own(scores, op);
  g.assertLive();
  if (R === 0 || N === 0) return emptyTopK(R, k);
  const passes = topKPasses(R, N, k, g.limits);
  const temps: Tensor[] = [];
  const [vals, idx] = g.scoped(op, () => {
    let inVals = src;
    let inIdx: Tensor | null = null;
    for (const pass of passes) {
      const ov = g.alloc(op, [pass.outEntries], 'f32');
      const oi = g.alloc(op, [pass.outEntries], 'u32');
      temps.push(ov, oi);
      g.enqueue(pass.spec, inIdx ? [inVals, inIdx, ov, oi] : [inVals, ov, oi]);
      inVals = ov;
      inIdx = oi;
    }
    return [inVals, inIdx as Tensor];
  });
  const kp = passes[passes.length - 1].outEntries / R;
  try {
    const [vb, ib] = await Promise.all([g.readWords(vals, R * kp), g.readWords(idx, R * kp)]);
    const v = new Float32Array(vb);
    const ix = new Uint32Array(ib);
    const out = emptyTopK(R, k);
    for (let r = 0; r < R; r++) {
      out.scores.set(v.subarray(r * kp, r * kp + k), r * k);
      out.indices.set(ix.subarray(r * kp, r * kp + k), r * k);
    }
    return out;
  } finally {
    for (const t of temps) g.release(t);
  }
}
