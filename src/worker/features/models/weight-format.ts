/**
 * The weight format of an imported Hugging Face model run on the studio's kernels (Models tab): how its
 * linear weights are uploaded ('auto': f16 on WebGPU, f32 on the CPU; 'f32', 'f16', 'q8'), and, on
 * request, the accuracy cost measured as the cosine of each demo query's embedding to its f32 embedding.
 */
import type { Backend } from '../../../core/backend';
import { HfEmbedder } from '../../../models/hf/embedder';
import { resolveWeightFormat, type WeightFormat, type WeightFormatChoice } from '../../../models/hf/fit';
import { checkWeightFormat, type WeightCheck } from '../../../models/hf/weight-check';
import type { Embedder } from '../../../models/types';

export interface WeightFormatResult {
  model: string;
  format: WeightFormatChoice;
  /** the format on the backend the check ran on (or the active one) */
  resolved: WeightFormat;
  check: WeightCheck | null;
}

/** Held-out sentences for the check: this many of the demo queries. */
export const CHECK_TEXTS = 24;

/** The model's HF embedder, or an error saying weight formats do not apply to it. */
export function hfEmbedderOf(e: Embedder, id: string): HfEmbedder {
  if (e instanceof HfEmbedder) return e;
  throw new Error(
    `${id}: weight formats apply to Hugging Face models run on the studio's kernels (safetensors), not to this model`,
  );
}

/** Sets the format (weights already uploaded are freed and re-uploaded on next use) and optionally checks it. */
export async function setWeightFormat(
  e: HfEmbedder,
  id: string,
  format: WeightFormatChoice,
  backend: Backend,
  texts: readonly string[] | null,
): Promise<WeightFormatResult> {
  if (e.weightFormat !== format) {
    e.release();
    e.model.weights.format = format;
  }
  const check = texts ? await checkWeightFormat(e, backend, texts, format) : null;
  return { model: id, format, resolved: resolveWeightFormat(format, backend.kind), check };
}
