/**
 * Timing of an embedder on one backend, shared by the Node bench (bench-ort.ts) and the in-browser
 * comparison page (page.ts): one warm-up text, then the batch-1 texts one at a time and the batch-32 texts
 * in one call; and how far two engines' embeddings are apart. Browser-safe (no Node imports).
 */
import type { Backend } from '../core/backend';
import type { Embedder } from '../models/types';

/** sentences/s and tokens/s of one timed pass */
export interface Rate {
  readonly sps: number;
  readonly tps: number;
}

export interface Timed {
  /** null: not measured (no texts) */
  readonly b1: Rate | null;
  readonly b32: Rate | null;
  /** the batch-32 embeddings (the batch-1 texts' when there are no batch-32 texts) */
  readonly emb: Float32Array;
  /** seconds spent in the timed passes */
  readonly wallS: number;
}

/** one text through the model: weights uploaded, pipelines compiled, before anything is timed */
export async function warmUp(model: Embedder, backend: Backend, text: string | undefined): Promise<void> {
  if (text !== undefined) await model.embed(backend, [text], 'query');
}

/** times the batch-1 then the batch-32 texts (call warmUp first) */
export async function timeEmbeddings(
  model: Embedder,
  backend: Backend,
  b1: readonly string[],
  b32: readonly string[],
  tokens: (t: string) => number,
): Promise<Timed> {
  const count = (xs: readonly string[]) => xs.reduce((a, s) => a + tokens(s), 0);
  let wallS = 0;
  let r1: Rate | null = null;
  if (b1.length) {
    const t0 = performance.now();
    for (const s of b1) await model.embed(backend, [s], 'query');
    const s = (performance.now() - t0) / 1000;
    wallS += s;
    r1 = { sps: b1.length / s, tps: count(b1) / s };
  }
  let r32: Rate | null = null;
  let emb: Float32Array;
  if (b32.length) {
    const t0 = performance.now();
    emb = await model.embed(backend, b32, 'passage');
    const s = (performance.now() - t0) / 1000;
    wallS += s;
    r32 = { sps: b32.length / s, tps: count(b32) / s };
  } else emb = await model.embed(backend, b1, 'query');
  return { b1: r1, b32: r32, emb, wallS };
}

/** max |a - b| and the smallest cosine between matching rows */
export function agreement(
  a: Float32Array,
  b: Float32Array,
  dim: number,
): { maxDiff: number; minCos: number } {
  let maxDiff = 0;
  let minCos = 1;
  for (let r = 0; r < a.length / dim; r++) {
    let dot = 0;
    let na = 0;
    let nb = 0;
    for (let d = r * dim; d < (r + 1) * dim; d++) {
      maxDiff = Math.max(maxDiff, Math.abs(a[d] - b[d]));
      dot += a[d] * b[d];
      na += a[d] * a[d];
      nb += b[d] * b[d];
    }
    minCos = Math.min(minCos, dot / Math.sqrt(na * nb));
  }
  return { maxDiff, minCos };
}
