/**
 * The tiled (flash-attention style) attention programs' sizing: which shapes take them (usesFlash), their
 * workgroup arrays per device (flashArrays) and their tiles per shape (flashTiles). The programs are built
 * in attention.ts (forward, 'stats') and grad-attention.ts ('dq', 'dkv').
 */
import { ShapeError } from '../core/backend';
import { ceilPow2, floorPow2, type KernelLimits } from '../core/program';

/**
 * The GPU programs' rule (forward and backward): the tiled ones from flashMinQueries queries on (default
 * 16); below, the per-query ones, which spread a workgroup's lanes over the keys where a tile of queries
 * would be mostly empty (decoding: T = 1 against a KV cache). A setting so tests and benchmarks can run
 * either program at any shape (0: always tiled; Infinity: never). flashBudgetBytes: the tiled programs'
 * workgroup memory (see flashArrays; a hardware GPU, where compiling is fast, could take its full limit).
 */
export const attentionTuning = { flashMinQueries: 16, flashBudgetBytes: 8192 };

export function usesFlash(d: { T: number; Dh: number }, limits: KernelLimits): boolean {
  return d.T >= attentionTuning.flashMinQueries && flashFits(d.Dh, limits);
}

/** Workgroup words of each tiled entry point (flash_attention.wgsl, flash_attention_backward.wgsl). */
export const FLASH_WORDS: Record<'fwd' | 'stats' | 'dq' | 'dkv', (a: FlashArrays) => number> = {
  fwd: (a) => 2 * a.QW + a.KW + a.SW + 3 * a.RW,
  stats: (a) => 2 * a.QW + a.KW + a.SW + 3 * a.RW,
  dq: (a) => 3 * a.QW + 2 * a.KW + 2 * a.SW + 2 * a.RW,
  dkv: (a) => 2 * a.QW + 4 * a.KW + 2 * a.SW + 2 * a.RW,
};

/** A row of head dim Dh fits every tiled entry point's arrays (up to 256 with the default budget); a larger
 * head dim takes the per-query programs. */
export function flashFits(Dh: number, limits: KernelLimits): boolean {
  return Object.values(FLASH_WORDS).every((words) => {
    const a = flashArrays(limits, words);
    return Dh <= Math.min(a.QW, a.KW) && words(a) * 4 <= limits.maxWorkgroupStorageBytes;
  });
}

/**
 * The tiled programs' workgroup arrays, in f32 words: a query-tile array QW (>= BQ Dh), a key-tile array KW
 * (>= BK Dh), a score tile SW (>= BQ BK), a per-row array RW (>= BQ). They are fixed per device and entry
 * point (override constants: SwiftShader compiles a specialisation in seconds, so one per device, not one
 * per shape); the tiles BQ, BK and the head dim are uniforms, chosen per shape to fit them.
 */
export interface FlashArrays {
  QW: number;
  KW: number;
  SW: number;
  RW: number;
}

/** BQ and BK are at most this (and RW). */
export const FLASH_TILE = 32;

/**
 * The largest arrays, all halved together, whose total words(a) f32 fits attentionTuning.flashBudgetBytes
 * (default 8 KiB) and the device.
 * The budget is kept small because WGSL zero-initialises workgroup memory and SwiftShader (the CI's WebGPU)
 * compiles that in time growing faster than linearly with its size: about 2 s for 4 KiB, 8 s for 16 KiB
 * on this (loaded) machine; Dawn's disable_workgroup_init toggle brings 16 KiB to 0.4 s. 8 KiB gives tiles
 * of 16 x 16 (forward) and 8 x 8 (backward) at head dim 32, 4 x 4 and 2 x 2 at 128.
 */
export function flashArrays(limits: KernelLimits, words: (a: FlashArrays) => number): FlashArrays {
  const budget = Math.min(attentionTuning.flashBudgetBytes, limits.maxWorkgroupStorageBytes);
  const a = { QW: 1024, KW: 1024, SW: 512, RW: FLASH_TILE };
  while (words(a) * 4 > budget && a.RW > 1) for (const k of ['QW', 'KW', 'SW', 'RW'] as const) a[k] /= 2;
  return a;
}

export interface FlashTiles {
  BQ: number;
  BK: number;
  WG: number;
  arrays: FlashArrays;
}

/**
 * Tiles for `queries` queries seeing `span` keys each: BQ and BK powers of two, at most FLASH_TILE, no
 * larger than the shape needs (rounded up) and fitting the arrays; throws when one row of head dim Dh does not.
 */
export function flashTiles(
  queries: number,
  span: number,
  Dh: number,
  limits: KernelLimits,
  entry: keyof typeof FLASH_WORDS,
  op: string,
): FlashTiles {
  const words = FLASH_WORDS[entry];
  const arrays = flashArrays(limits, words);
  const { QW, KW, SW, RW } = arrays;
  if (Dh > Math.min(QW, KW) || words(arrays) * 4 > limits.maxWorkgroupStorageBytes) {
    throw new ShapeError(
      op,
      `head dim ${Dh} does not fit this device's workgroup memory (${limits.maxWorkgroupStorageBytes} bytes)`,
    );
  }
  const fit = (n: number) => floorPow2(Math.max(1, n));
  const BQ = Math.min(FLASH_TILE, RW, ceilPow2(Math.max(1, queries)), fit(QW / Math.max(1, Dh)));
  const BK = Math.min(FLASH_TILE, ceilPow2(Math.max(1, span)), fit(KW / Math.max(1, Dh)), fit(SW / BQ));
  return { BQ, BK, WG: Math.min(64, floorPow2(limits.maxInvocationsPerWorkgroup)), arrays };
}
