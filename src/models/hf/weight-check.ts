/**
 * The accuracy cost of a weight format: the cosine between each text's embedding with the linear weights
 * in `format` (f16, q8) and with them in f32, on the same backend (rows are L2-normalised, so the cosine
 * is their dot product). Used by the tests, `stm quant-check` and the Models tab.
 */
import type { Backend } from '../../core/backend';
import type { HfEmbedder } from './embedder';
import { resolveWeightFormat, type WeightFormat, type WeightFormatChoice } from './fit';

export interface WeightCheck {
  readonly format: WeightFormat;
  readonly texts: number;
  readonly meanCosine: number;
  readonly minCosine: number;
}

/** Row-wise cosines of two [n, dim] embedding matrices. */
export function rowCosines(a: Float32Array, b: Float32Array, dim: number): Float64Array {
  const n = a.length / dim;
  const out = new Float64Array(n);
  for (let r = 0; r < n; r++) {
    let ab = 0;
    let aa = 0;
    let bb = 0;
    for (let i = r * dim; i < (r + 1) * dim; i++) {
      ab += a[i] * b[i];
      aa += a[i] * a[i];
      bb += b[i] * b[i];
    }
    out[r] = ab / Math.sqrt(aa * bb || 1);
  }
  return out;
}

/** Embeds `texts` (as queries) with the weights in f32 and in `format`; both uploads are freed after. */
export async function checkWeightFormat(
  model: HfEmbedder,
  backend: Backend,
  texts: readonly string[],
  format: WeightFormatChoice = model.weightFormat,
): Promise<WeightCheck> {
  if (!texts.length) throw new Error('weight check: no texts');
  const resolved = resolveWeightFormat(format, backend.kind);
  const ref = model.withWeightFormat('f32');
  const test = model.withWeightFormat(resolved);
  try {
    const a = await ref.embed(backend, texts, 'query');
    ref.release(backend);
    const b = await test.embed(backend, texts, 'query');
    const cos = rowCosines(a, b, model.dim);
    let sum = 0;
    let min = Infinity;
    for (const c of cos) {
      sum += c;
      min = Math.min(min, c);
    }
    return { format: resolved, texts: texts.length, meanCosine: sum / cos.length, minCosine: min };
  } finally {
    ref.release(backend);
    test.release(backend);
  }
}
