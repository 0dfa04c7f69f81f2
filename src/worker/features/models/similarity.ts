/** Cosine similarity of two texts under a model, each formatted by its role's template. */
import type { Backend } from '../../../core/backend';
import { applyTemplate, type Embedder, type Role } from '../../../models/types';

export interface Side {
  text: string;
  role: Role;
}

/** Embeds both texts on `backend` (one call when the roles match) and returns their cosine. */
export async function similarity(
  e: Embedder,
  backend: Backend,
  a: Side,
  b: Side,
): Promise<{ similarity: number; ms: number; texts: [string, string] }> {
  const texts: [string, string] = [
    applyTemplate(e.templates[a.role], { text: a.text }),
    applyTemplate(e.templates[b.role], { text: b.text }),
  ];
  const t0 = performance.now();
  let va: Float32Array;
  let vb: Float32Array;
  if (a.role === b.role) {
    const v = await e.embed(backend, texts, a.role);
    va = v.subarray(0, e.dim);
    vb = v.subarray(e.dim, 2 * e.dim);
  } else {
    va = await e.embed(backend, [texts[0]], a.role);
    vb = await e.embed(backend, [texts[1]], b.role);
  }
  const ms = performance.now() - t0;
  // rows are L2-normalised, but a zero row (no content) must not divide by zero
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < e.dim; i++) {
    dot += va[i] * vb[i];
    na += va[i] * va[i];
    nb += vb[i] * vb[i];
  }
  const sim = na > 0 && nb > 0 ? dot / Math.sqrt(na * nb) : 0;
  return { similarity: sim, ms, texts };
}
