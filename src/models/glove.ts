import type { Backend, Tensor } from '../core/backend';
import type { Embedder, Role, TextTemplates } from './types';
import { GLOVE_FORMAT, type GloveManifest } from './glove-format';
import { GloveTokenizer } from './glove-tokenizer';
import { assertFiniteRows } from './finite';

/** Reads one file of a model folder, path relative to the models root (e.g. "glove-100d/vocab.txt"). */
export type AssetFetcher = (path: string) => Promise<ArrayBuffer>;

/** Texts per kernel batch; keeps [B, T, D] activations small (64 x 512 x 100 f32 = 13 MB at most). */
const BATCH = 64;

/**
 * Static word-vector embedder: gather word vectors with SIF-weighted masked mean pooling (one op,
 * gatherMeanPool), L2 normalise, all on the backend's kernels. The vector table is uploaded once per backend and kept.
 */
export class GloveEmbedder implements Embedder {
  readonly id: string;
  readonly dim: number;
  readonly templates: TextTemplates = { query: '{text}', passage: '{title}\n{text}' };
  private readonly tables = new WeakMap<Backend, Tensor>();

  constructor(
    readonly manifest: GloveManifest,
    readonly tokenizer: GloveTokenizer,
    /** dequantised vectors, [vocabSize * dim] */
    readonly vectors: Float32Array,
  ) {
    this.id = manifest.id;
    this.dim = manifest.dim;
  }

  static async load(fetchAsset: AssetFetcher, opts: { sifA?: number } = {}): Promise<GloveEmbedder> {
    // opts.sifA overrides the manifest's pooling weight (experiments only)
    const dir = GLOVE_FORMAT.dirName;
    const text = (b: ArrayBuffer) => new TextDecoder().decode(b);
    const manifest = JSON.parse(text(await fetchAsset(`${dir}/manifest.json`))) as GloveManifest;
    if (manifest.format !== GLOVE_FORMAT.version) {
      throw new Error(`${dir}/manifest.json: format ${manifest.format}, expected ${GLOVE_FORMAT.version}`);
    }
    const [vocabBuf, q, s] = await Promise.all(
      ['vocab.txt', 'vectors.i8', 'scales.f32'].map((f) => fetchAsset(`${dir}/${f}`)),
    );
    const vocab = text(vocabBuf).split('\n');
    if (vocab[vocab.length - 1] === '') vocab.pop();
    const { vocabSize: v, dim: d } = manifest;
    if (vocab.length !== v) throw new Error(`${dir}/vocab.txt: ${vocab.length} words, manifest says ${v}`);
    if (q.byteLength !== v * d)
      throw new Error(`${dir}/vectors.i8: ${q.byteLength} bytes, expected ${v * d}`);
    if (s.byteLength !== v * 4)
      throw new Error(`${dir}/scales.f32: ${s.byteLength} bytes, expected ${v * 4}`);
    const qi = new Int8Array(q);
    const scales = new Float32Array(s);
    const vectors = new Float32Array(v * d);
    for (let i = 0; i < v; i++) {
      const sc = scales[i];
      for (let j = 0; j < d; j++) vectors[i * d + j] = qi[i * d + j] * sc;
    }
    const tokenizer = new GloveTokenizer(vocab, {
      sourceVocabSize: manifest.sourceVocabSize,
      sifA: opts.sifA ?? manifest.sifA,
    });
    return new GloveEmbedder(manifest, tokenizer, vectors);
  }

  private table(backend: Backend): Tensor {
    let t = this.tables.get(backend);
    if (!t) {
      t = backend.tensor(this.vectors, [this.manifest.vocabSize, this.dim]);
      this.tables.set(backend, t);
    }
    return t;
  }

  /**
   * Texts are batched by token count (sorted, ties by index) so a batch pads little: padded positions cost
   * as much as words in the gather and the pooling. Rows come back in the texts' order.
   */
  async embed(backend: Backend, texts: readonly string[], _role: Role): Promise<Float32Array> {
    const out = new Float32Array(texts.length * this.dim);
    const table = this.table(backend);
    const tokens = texts.map((t) => this.tokenizer.tokenize(t));
    const order = tokens
      .map((_, i) => i)
      .sort((a, b) => tokens[a].ids.length - tokens[b].ids.length || a - b);
    for (let start = 0; start < texts.length; start += BATCH) {
      const rows = order.slice(start, start + BATCH);
      const batch = rows.map((i) => tokens[i]);
      const b = batch.length;
      const t = Math.max(1, ...batch.map((x) => x.ids.length));
      const ids = new Uint32Array(b * t);
      const mask = new Float32Array(b * t);
      batch.forEach((x, i) => {
        ids.set(x.ids, i * t);
        mask.set(x.weights, i * t);
      });
      const idT = backend.tensor(ids, [b * t]);
      const maskT = backend.tensor(mask, [b, t]);
      const pooled = backend.gatherMeanPool(table, idT, maskT);
      const normed = backend.l2Normalize(pooled);
      const y = await backend.readF32(normed);
      rows.forEach((i, r) => out.set(y.subarray(r * this.dim, (r + 1) * this.dim), i * this.dim));
      backend.dispose(idT, maskT, pooled, normed);
    }
    return assertFiniteRows(this.id, out, this.dim);
  }
}
