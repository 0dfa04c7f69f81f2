/**
 * Decoder-only transformer (qwen3, qwen2, llama, gemma, gemma2, phi3) forward pass, once, on the op context
 * of src/nn (plain weights for inference, base + LoRA for training), Hugging Face weight names:
 * token embeddings (gemma: times sqrt(hidden)), pre-RMSNorm blocks (decoder-block.ts: rotary positions,
 * 'half' layout, with rope_scaling; grouped-query attention with gemma2's soft-capping and sliding windows;
 * SwiGLU or GeGLU MLP; gemma2's sandwich norms; phi3's fused projections), final norm.
 * Attention is causal (the pretrained LM) or bidirectional (STM embedders: causal mask disabled).
 * Generation adds a KV cache (kv-cache.ts: the new positions attend to the cached ones, rope starts past
 * them) and the LM head (lm-head.ts: lm_head.weight, or the token table when tied).
 */
import type { Backend, Tensor } from '../../core/backend';
import type { LinearModule, Ops } from '../../nn/ops';
import { blockLinears, decoderBlock, needBlockWeights, ropeOptionsFor } from './decoder-block';
import type { DecoderConfig } from './config';
import type { HostLinear } from '../native';
import { checkBatch, hfHostLinear, lookup, type TokenBatch } from './common';
import type { KvCache } from './kv-cache';
import { LmHead } from './lm-head';
import { SafetensorsError } from './safetensors';
import type { TensorSource } from './tensor-source';
import { Weights } from './weights';

export type DecoderAttention = 'bidirectional' | 'causal';

const EMBED = 'embed_tokens.weight';

export class DecoderModel {
  readonly hidden: number;
  private readonly w: Weights;
  private lm: LmHead | null = null;

  /** parameters in the weights the forward pass uses */
  get parameterCount(): number {
    return this.w.parameterCount;
  }

  constructor(
    readonly config: DecoderConfig,
    src: TensorSource,
  ) {
    const c = config;
    const H = c.hidden;
    this.hidden = H;
    const w = new Weights(src, ['model.', '', 'transformer.'], EMBED);
    w.need(EMBED, [c.vocabSize, H]);
    w.need('norm.weight', [H]);
    for (let i = 0; i < c.layers; i++) needBlockWeights(w, c, i);
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
    const out: LinearModule[] = [];
    for (let i = 0; i < this.config.layers; i++) out.push(...blockLinears(this.config, i));
    return out;
  }

  /**
   * The LM head, checked on first use (embedders never need it): the token table when config.json says
   * tie_word_embeddings true or the file has no lm_head.weight (and config.json does not say false).
   */
  get head(): LmHead {
    if (this.lm) return this.lm;
    const c = this.config;
    const src = this.w.src;
    const own = 'lm_head.weight';
    const tied = c.tieWordEmbeddings === true || (!src.has(own) && c.tieWordEmbeddings === null);
    if (!tied && !src.has(own))
      throw new SafetensorsError(
        src.file,
        own,
        'missing: config.json says tie_word_embeddings false, so the model needs its own LM head (is this a base model without one, e.g. an embedding-only export?)',
      );
    this.lm = new LmHead(
      src,
      tied ? this.w.prefix + EMBED : own,
      c.vocabSize,
      c.hidden,
      tied,
      c.finalSoftcap,
      (b) => this.w.formatOn(b),
    );
    return this.lm;
  }

  /** the weights on `backend` (uploaded on first use; the token table stays on the host when too large) */
  on(backend: Backend): Map<string, Tensor> {
    return this.w.on(backend, new Set([EMBED]));
  }

  /**
   * Last hidden states [B*T, H] (after the final norm) of a right-padded batch (mask: input.mask as [B, T]);
   * the caller frees them. With a cache (inference context, causal, no padding) the batch is the positions
   * after the cached ones: they attend to the cache and to each other, and join the cache.
   */
  forward(ops: Ops, input: TokenBatch, mask: Tensor, attention: DecoderAttention, cache?: KvCache): Tensor {
    const c = this.config;
    const what = `${c.modelType} forward`;
    checkBatch(input, c.vocabSize, c.maxPositions, what);
    if (cache) {
      if (attention !== 'causal') throw new Error(`${what}: a KV cache needs causal attention`);
      if (cache.backend !== ops.backend) throw new Error(`${what}: the KV cache is on another backend`);
      if (input.mask.some((m) => m !== 1)) throw new Error(`${what}: a KV cache takes no padding`);
      if (cache.length + input.seqLen > c.maxPositions)
        throw new Error(
          `${what}: ${cache.length} cached + ${input.seqLen} new positions exceed the model's ${c.maxPositions}`,
        );
    }
    const W = this.on(ops.backend);
    let x = lookup(ops, this.w, W, EMBED, input.ids);
    if (c.embedScale !== 1) {
      const scaled = ops.scale(x, c.embedScale);
      ops.free(x);
      x = scaled;
    }
    const keys = cache ? cache.length + input.seqLen : input.seqLen;
    const keyMask = cache
      ? ops.input(new Float32Array(input.batch * keys).fill(1), [input.batch, keys])
      : mask;
    const block = {
      ops,
      W,
      c,
      mask: keyMask,
      B: input.batch,
      T: input.seqLen,
      causal: attention === 'causal',
      rope: ropeOptionsFor(c, cache?.length ?? 0, input.seqLen),
      cache,
    };
    try {
      for (let i = 0; i < c.layers; i++) x = decoderBlock(block, i, x);
    } finally {
      if (cache) ops.free(keyMask);
    }
    cache?.advance(input.seqLen);
    const out = ops.rmsNorm(x, W.get('norm.weight')!, c.eps, c.normAddOne ? { addOne: true } : undefined);
    ops.free(x);
    return out;
  }

  release(backend?: Backend): void {
    this.w.release(backend);
    this.lm?.release(backend);
  }
}
