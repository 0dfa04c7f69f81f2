/** Test helpers for training: a deterministic fake base embedder (hash-seeded unit vectors). */
import type { Embedder } from '../models/types';
import { Rng } from '../util/rng';

function hash(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

/** Every text gets a fixed random unit vector; counts calls so caching can be checked. */
export function fakeEmbedder(dim: number, id = 'fake'): Embedder & { calls: number; texts: number } {
  const e = {
    id,
    dim,
    templates: { query: 'query: {text}', passage: 'passage: {text}' },
    calls: 0,
    texts: 0,
    async embed(_b: unknown, texts: readonly string[]) {
      e.calls++;
      e.texts += texts.length;
      const out = new Float32Array(texts.length * dim);
      texts.forEach((t, i) => {
        const r = new Rng(hash(t));
        let n = 0;
        for (let d = 0; d < dim; d++) n += (out[i * dim + d] = r.normal()) ** 2;
        for (let d = 0; d < dim; d++) out[i * dim + d] /= Math.sqrt(n);
      });
      return out;
    },
  };
  return e;
}
