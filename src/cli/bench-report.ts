/**
 * The machine-readable side of `npm run bench`: each section records its ratios and figures under a stable
 * key while it prints its table; `npm run bench -- --json` prints them all as one JSON object on the last
 * line. A key whose path is unavailable (no WebGPU, no reference runtime) stays null.
 * Ratios are "x the other tool" (> 1: the studio is faster), measured in the same run on the same texts.
 */

/** Keys the bench always prints (null until a section records them). */
export const BENCH_KEYS = [
  // USE-lite: studio paths vs the TF.js runtime (WASM)
  'use_lite_cpu_vs_tfjs',
  'use_lite_webgpu_vs_tfjs',
  // MiniLM-L6-shaped BERT: studio vs ONNX Runtime Web (wasm, multi-threaded; WebGPU EP)
  'minilm_cpu_vs_ort_wasm',
  'minilm_webgpu_vs_ort_webgpu',
  // Qwen3-0.6B-shaped decoder
  'qwen3_cpu_vs_ort_wasm',
  'qwen3_webgpu_vs_ort_webgpu',
  // the linear kernel alone, GFLOP/s
  'linear_gflops_cpu',
  'linear_gflops_webgpu',
  // LoRA training on the Qwen3-0.6B shape
  'lora_steps_per_s_cpu',
  'lora_steps_per_s_webgpu',
  // GloVe embedding vs its plain TypeScript loop
  'glove_cpu_vs_plain',
] as const;

export type BenchKey = (typeof BENCH_KEYS)[number];

const figures = new Map<string, number | string | null>(BENCH_KEYS.map((k) => [k, null]));

/** Records one figure (a ratio, a rate, a label); a non-finite number is stored as null. */
export function recordFigure(key: BenchKey | (string & {}), value: number | string | null): void {
  figures.set(key, typeof value === 'number' && !Number.isFinite(value) ? null : value);
}

/** Every figure recorded so far, the always-present keys first. */
export function benchFigures(): Record<string, number | string | null> {
  return Object.fromEntries(figures);
}

/** The --json line: one JSON object, numbers rounded to 4 significant digits. */
export function benchJsonLine(): string {
  const o: Record<string, number | string | null> = {};
  for (const [k, v] of figures) o[k] = typeof v === 'number' ? Number(v.toPrecision(4)) : v;
  return JSON.stringify(o);
}
