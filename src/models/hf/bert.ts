/**
 * BERT-family encoder (bert, roberta, xlm-roberta) forward pass, once, on the op context of src/nn (plain
 * weights for inference, base + LoRA for training), with Hugging Face weight names: post-LayerNorm blocks,
 * learned absolute positions, bidirectional attention over the mask.
 */
import type { Backend, Tensor } from '../../core/backend';
import type { LinearModule, Ops } from '../../nn/ops';
import type { BertConfig } from './config';
import type { HostLinear } from '../native';
import { checkBatch, hfHostLinear, lookup, type TokenBatch } from './common';
import type { TensorSource } from './tensor-source';
import { Weights } from './weights';

const WORD = 'embeddings.word_embeddings.weight';

export class BertModel {
  readonly hidden: number;
  private readonly w: Weights;

  /** parameters in the weights the forward pass uses */
  get parameterCount(): number {
    return this.w.parameterCount;
  }

  constructor(
    readonly config: BertConfig,
    src: TensorSource,
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

  /** the host weights of the linear at `path` */
  hostLinear(path: string): HostLinear {
    return hfHostLinear(this.w, path);
  }

  /** the model's weights (their format is set there before the first upload) */
  get weights(): Weights {
    return this.w;
  }

  /** the weight file and the name prefix it uses ('' or e.g. 'bert.') */
  get weightFile(): { src: TensorSource; prefix: string } {
    return { src: this.w.src, prefix: this.w.prefix };
  }

  /** every linear, in forward order (PEFT module paths of the bare model) */
  get linears(): LinearModule[] {
    const c = this.config;
    const H = c.hidden;
    const out: LinearModule[] = [];
    for (let i = 0; i < c.layers; i++) {
      const p = `encoder.layer.${i}.`;
      for (const n of ['query', 'key', 'value'])
        out.push({ path: `${p}attention.self.${n}`, inDim: H, outDim: H });
      out.push({ path: `${p}attention.output.dense`, inDim: H, outDim: H });
      out.push({ path: `${p}intermediate.dense`, inDim: H, outDim: c.intermediate });
      out.push({ path: `${p}output.dense`, inDim: c.intermediate, outDim: H });
    }
    return out;
  }

  /** the weights on `backend` (uploaded on first use; the word table stays on the host when too large) */
  on(backend: Backend): Map<string, Tensor> {
    return this.w.on(backend, new Set([WORD]));
  }

  /** Last hidden states [B*T, H] of a right-padded batch (mask: input.mask as [B, T]); the caller frees them. */
  forward(ops: Ops, input: TokenBatch, mask: Tensor): Tensor {
    const c = this.config;
    const { batch: B, seqLen: T } = input;
    checkBatch(input, c.vocabSize, c.maxPositions - c.positionOffset, `${c.modelType} forward`);
    const typeIds = input.typeIds ?? new Uint32Array(B * T);
    if (typeIds.some((t) => t >= c.typeVocabSize))
      throw new Error(`${c.modelType} forward: token type id outside [0, ${c.typeVocabSize})`);
    const W = this.on(ops.backend);
    const g = (n: string) => W.get(n)!;
    const posIds = new Uint32Array(B * T);
    for (let i = 0; i < B * T; i++) posIds[i] = c.positionOffset + (i % T);

    const word = lookup(ops, this.w, W, WORD, input.ids);
    const pos = lookup(ops, this.w, W, 'embeddings.position_embeddings.weight', posIds);
    const typ = lookup(ops, this.w, W, 'embeddings.token_type_embeddings.weight', typeIds);
    const sum1 = ops.add(word, pos);
    ops.free(word, pos);
    const sum = ops.add(sum1, typ);
    ops.free(sum1, typ);
    let x = ops.layerNorm(sum, g('embeddings.LayerNorm.weight'), g('embeddings.LayerNorm.bias'), c.eps);
    ops.free(sum);
    for (let i = 0; i < c.layers; i++) x = this.layer(ops, W, i, x, mask, B, T);
    return x;
  }

  /** One post-LN block on rows [B*T, H]; consumes x. */
  private layer(
    ops: Ops,
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
    const heads = (n: string) => ops.reshape(ops.linear(x, `${p}attention.self.${n}`), [B, T, nh, dh]);
    const q = heads('query');
    const k = heads('key');
    const v = heads('value');
    const att = ops.attention(q, k, v, mask, { causal: false, scale: 1 / Math.sqrt(dh) });
    ops.free(q, k, v);
    const a2 = ops.reshape(att, [B * T, c.hidden]);
    const o = ops.linear(a2, `${p}attention.output.dense`);
    ops.free(a2);
    const r1 = ops.add(o, x);
    ops.free(o, x);
    const h1 = ops.layerNorm(
      r1,
      g('attention.output.LayerNorm.weight'),
      g('attention.output.LayerNorm.bias'),
      c.eps,
    );
    ops.free(r1);
    const up = ops.linear(h1, `${p}intermediate.dense`);
    const act = ops.activation(up, c.act);
    ops.free(up);
    const down = ops.linear(act, `${p}output.dense`);
    ops.free(act);
    const r2 = ops.add(down, h1);
    ops.free(down, h1);
    const out = ops.layerNorm(r2, g('output.LayerNorm.weight'), g('output.LayerNorm.bias'), c.eps);
    ops.free(r2);
    return out;
  }

  release(backend?: Backend): void {
    this.w.release(backend);
  }
}
