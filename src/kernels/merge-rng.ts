/**
 * The counter-based random source of the DARE / DELLA masks, shared bit for bit by the CPU reference and
 * shaders/merge_sparsify.wgsl: PCG hash (Jarzynski & Olano 2020, "Hash Functions for GPU Rendering").
 * Element i of the stream with key `key` keeps with probability p when (maskHash(key, i) >>> 8) < keepThreshold(p):
 * a 24-bit uniform compared against an integer threshold computed once on the host, so CPU and GPU agree exactly.
 */

/** pcg_hash: u32 → u32 (one LCG step, then PCG's RXS-M-XS output permutation). */
export function pcg(v: number): number {
  const s = (Math.imul(v >>> 0, 747796405) + 2891336453) >>> 0;
  const w = Math.imul(((s >>> ((s >>> 28) + 4)) ^ s) >>> 0, 277803737) >>> 0;
  return ((w >>> 22) ^ w) >>> 0;
}

/** The u32 key of one mask stream: seed, a 32-bit hash of the tensor's name, the expert's index. */
export function streamKey(seed: number, nameHash: number, expert: number): number {
  return pcg((pcg((pcg(seed >>> 0) ^ nameHash) >>> 0) + expert) >>> 0);
}

/** The hash of element i in the stream `key` (two PCG rounds). */
export function maskHash(key: number, i: number): number {
  return pcg((pcg((i ^ key) >>> 0) + key) >>> 0);
}

export const KEEP_ONE = 1 << 24;

/** ceil(p·2^24) clamped to [0, 2^24]: a 24-bit uniform u = m/2^24 has u < p exactly when m < this. */
export function keepThreshold(p: number): number {
  if (!(p > 0)) return 0;
  return Math.min(KEEP_ONE, Math.ceil(p * KEEP_ONE));
}

/** Whether element i of stream `key` is kept under threshold t (keepThreshold). */
export function keeps(key: number, i: number, t: number): boolean {
  return maskHash(key, i) >>> 8 < t;
}
