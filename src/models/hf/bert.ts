/**
 * BERT-family encoder (bert, roberta, xlm-roberta) forward pass on Backend ops, with Hugging Face
 * weight names: post-LayerNorm blocks, learned absolute positions, bidirectional attention over the mask.
 */
import type { Backend, Tensor } from '../../core/backend';
import type { BertConfig } from './config';
import { checkBatch, consume, lookup, type TokenBatch } from './common';
import type { SafetensorsFile } from './safetensors';
import { Weights } from './weights';

const WORD = 'embeddings.word_embeddings.weight';

export class BertModel {
  readonly hidden: number;
  private readonly w: Weights;

  /** the model's weights (read-only use: LoRA training reuses the uploaded tensors, frozen) */
  get weights(): Weights {
    return this.w;
  }

  /** parameters in the weights the forward pass uses */
  get parameterCount(): number {
    return this.w.parameterCount;
  }

  constructor(
    readonly config: BertConfig,
    src: SafetensorsFile,
  ) {
    const c = config;
    const H = c.hidden;
    this.hidden = H;
    const w = new Weights(src, ['', 'bert.', 'roberta.', 'model.', 'encoder.'], WORD);
    w.need(WORD, [c.vocabSize, H]);
    w.need('embeddings.position_embeddings.weight', [c.maxPositions, H]);
    w.need('embeddings.token_type_embeddings.weight', [c.typeVocabSize, H]);
    w.need('embeddings.LayerNorm.weight', [H]);
    w.need('embeddings.LayerNorm.bias', [H]);
    for (let i = 0; i < c.layers; i++) {
      const p = `encoder.layer.${i}.`;
      for (const n of ['query', 'key', 'value']) {
        w.need(`${p}attention.self.${n}.weight`, [H, H]);
        w.need(`${p}attention.self.${n}.bias`, [H]);
      }
      w.need(`${p}attention.output.dense.weight`, [H, H]);
      w.need(`${p}attention.output.dense.bias`, [H]);
      w.need(`${p}attention.output.LayerNorm.weight`, [H]);
      w.need(`${p}attention.output.LayerNorm.bias`, [H]);
      w.need(`${p}intermediate.dense.weight`, [c.intermediate, H]);
      w.need(`${p}intermediate.dense.bias`, [c.intermediate]);
      w.need(`${p}output.dense.weight`, [H, c.intermediate]);
      w.need(`${p}output.dense.bias`, [H]);
      w.need(`${p}output.LayerNorm.weight`, [H]);
      w.need(`${p}output.LayerNorm.bias`, [H]);
    }
    this.w = w;
  }

  /** Last hidden states [B, T, H] for a right-padded batch (the caller disposes the result). */
  forward(backend: Backend, input: TokenBatch): Tensor {
    const c = this.config;
    const { batch: B, seqLen: T } = input;
    checkBatch(input, c.vocabSize, c.maxPositions - c.positionOffset, `${c.modelType} forward`);
    const typeIds = input.typeIds ?? new Uint32Array(B * T);
    if (typeIds.some((t) => t >= c.typeVocabSize))
      throw new Error(`${c.modelType} forward: token type id outside [0, ${c.typeVocabSize})`);
    const W = this.w.on(backend, new Set([WORD]));
    const g = (n: string) => W.get(n)!;
    const posIds = new Uint32Array(B * T);
    for (let i = 0; i < B * T; i++) posIds[i] = c.positionOffset + (i % T);

    const word = lookup(backend, this.w, W, WORD, input.ids);
    const pos = lookup(backend, this.w, W, 'embeddings.position_embeddings.weight', posIds);
    const typ = lookup(backend, this.w, W, 'embeddings.token_type_embeddings.weight', typeIds);
    const sum1 = consume(backend, [word, pos], () => backend.add(word, pos));
    const sum = consume(backend, [sum1, typ], () => backend.add(sum1, typ));
    const emb = consume(backend, [sum], () =>
      backend.layerNorm(sum, g('embeddings.LayerNorm.weight'), g('embeddings.LayerNorm.bias'), c.eps),
    );
    let x = backend.reshape(emb, [B, T, c.hidden]);
    const mask = backend.tensor(input.mask, [B, T]);
    try {
      // a failing layer may leak its intermediates, never frees a tensor twice
      for (let i = 0; i < c.layers; i++) x = this.layer(backend, W, i, x, mask, B, T);
    } finally {
      backend.dispose(mask);
    }
    return x;
  }

  /** One post-LN block; consumes x. */
  private layer(
    backend: Backend,
    W: Map<string, Tensor>,
    i: number,
    x: Tensor,
    mask: Tensor,
    B: number,
    T: number,
  ): Tensor {
    const c = this.config;
    const nh = c.heads;
    const dh = c.hidden / nh;
    const p = `encoder.layer.${i}.`;
    const g = (n: string) => W.get(p + n)!;
    const proj = (n: string) => {
      const y = backend.linear(x, g(`attention.self.${n}.weight`), g(`attention.self.${n}.bias`), 'nk');
      return backend.reshape(y, [B, T, nh, dh]);
    };
    const q = proj('query');
    const k = proj('key');
    const v = proj('value');
    const att = consume(backend, [q, k, v], () =>
      backend.attention(q, k, v, mask, { causal: false, scale: 1 / Math.sqrt(dh) }),
    );
    const a2 = backend.reshape(att, [B, T, c.hidden]);
    const o = consume(backend, [a2], () =>
      backend.linear(a2, g('attention.output.dense.weight'), g('attention.output.dense.bias'), 'nk'),
    );
    const r1 = consume(backend, [o, x], () => backend.add(o, x));
    const h1 = consume(backend, [r1], () =>
      backend.layerNorm(
        r1,
        g('attention.output.LayerNorm.weight'),
        g('attention.output.LayerNorm.bias'),
        c.eps,
      ),
    );
    const up = backend.linear(h1, g('intermediate.dense.weight'), g('intermediate.dense.bias'), 'nk');
    const act = consume(backend, [up], () => backend.activation(up, c.act));
    const down = consume(backend, [act], () =>
      backend.linear(act, g('output.dense.weight'), g('output.dense.bias'), 'nk'),
    );
    const r2 = consume(backend, [down, h1], () => backend.add(down, h1));
    return consume(backend, [r2], () =>
      backend.layerNorm(r2, g('output.LayerNorm.weight'), g('output.LayerNorm.bias'), c.eps),
    );
  }

  release(backend?: Backend): void {
    this.w.release(backend);
  }
}
