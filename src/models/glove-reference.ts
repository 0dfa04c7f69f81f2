import type { GloveEmbedder } from './glove';

/**
 * Plain-TypeScript GloVe embedding (one text at a time, no kernels): the oracle for the kernel path
 * in tests and the reference it is timed against in `npm run bench`.
 */
export function gloveEmbedReference(model: GloveEmbedder, texts: readonly string[]): Float32Array {
  const d = model.dim;
  const out = new Float32Array(texts.length * d);
  const acc = new Float64Array(d);
  texts.forEach((text, i) => {
    const { ids, weights } = model.tokenizer.tokenize(text);
    acc.fill(0);
    let wsum = 0;
    ids.forEach((id, j) => {
      const w = weights[j];
      wsum += w;
      for (let k = 0; k < d; k++) acc[k] += w * model.vectors[id * d + k];
    });
    let norm = 0;
    for (let k = 0; k < d; k++) {
      acc[k] /= Math.max(wsum, 1e-9);
      norm += acc[k] * acc[k];
    }
    norm = Math.max(Math.sqrt(norm), 1e-12);
    for (let k = 0; k < d; k++) out[i * d + k] = acc[k] / norm;
  });
  return out;
}

/** Plain-TypeScript exact top-k by full sort of dot products (ties: lower index first). */
export function topKReference(
  queries: Float32Array,
  corpus: Float32Array,
  dim: number,
  k: number,
): Uint32Array[] {
  const n = corpus.length / dim;
  const out: Uint32Array[] = [];
  for (let q = 0; q < queries.length / dim; q++) {
    const scores = new Float32Array(n);
    for (let i = 0; i < n; i++) {
      let s = 0;
      for (let j = 0; j < dim; j++) s += queries[q * dim + j] * corpus[i * dim + j];
      scores[i] = s;
    }
    const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => scores[b] - scores[a] || a - b);
    out.push(Uint32Array.from(order.slice(0, k)));
  }
  return out;
}
