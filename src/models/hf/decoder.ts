/**
 * Decoder-only transformer (qwen3, qwen2, llama) forward pass, once, on the op context of src/nn (plain
 * weights for inference, base + LoRA for training), Hugging Face weight names:
 * pre-RMSNorm blocks, rotary positions ('half' layout), grouped-query attention, SwiGLU MLP, final norm.
 * Attention is causal (the pretrained LM) or bidirectional (STM embedders: causal mask disabled).
 * Generation adds a KV cache (kv-cache.ts: the new positions attend to the cached ones, rope starts past
 * them) and the LM head (lm-head.ts: lm_head.weight, or the token table when tied).
 */
import type { Backend, Tensor } from '../../core/backend';
import type { LinearModule, Ops } from '../../nn/ops';
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
    const qDim = c.heads * c.headDim;
    const kvDim = c.kvHeads * c.headDim;
    this.hidden = H;
    const w = new Weights(src, ['model.', '', 'transformer.'], EMBED);
    w.need(EMBED, [c.vocabSize, H]);
    w.need('norm.weight', [H]);
    for (let i = 0; i < c.layers; i++) {
      const p = `layers.${i}.`;
      w.need(`${p}input_layernorm.weight`, [H]);
      w.need(`${p}post_attention_layernorm.weight`, [H]);
      const dims: [string, number][] = [
        ['q', qDim],
        ['k', kvDim],
        ['v', kvDim],
      ];
      for (const [n, d] of dims) {
        w.need(`${p}self_attn.${n}_proj.weight`, [d, H]);
        if (c.qkvBias) w.need(`${p}self_attn.${n}_proj.bias`, [d]);
      }
      w.need(`${p}self_attn.o_proj.weight`, [H, qDim]);
      if (c.oBias) w.need(`${p}self_attn.o_proj.bias`, [H]);
      if (c.qkNorm) {
        w.need(`${p}self_attn.q_norm.weight`, [c.headDim]);
        w.need(`${p}self_attn.k_norm.weight`, [c.headDim]);
      }
      w.need(`${p}mlp.gate_proj.weight`, [c.intermediate, H]);
      w.need(`${p}mlp.up_proj.weight`, [c.intermediate, H]);
      w.need(`${p}mlp.down_proj.weight`, [H, c.intermediate]);
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
    const qDim = c.heads * c.headDim;
    const kvDim = c.kvHeads * c.headDim;
    const out: LinearModule[] = [];
    for (let i = 0; i < c.layers; i++) {
      const p = `layers.${i}.`;
      out.push({ path: `${p}self_attn.q_proj`, inDim: H, outDim: qDim });
      out.push({ path: `${p}self_attn.k_proj`, inDim: H, outDim: kvDim });
      out.push({ path: `${p}self_attn.v_proj`, inDim: H, outDim: kvDim });
      out.push({ path: `${p}self_attn.o_proj`, inDim: qDim, outDim: H });
      out.push({ path: `${p}mlp.gate_proj`, inDim: H, outDim: c.intermediate });
      out.push({ path: `${p}mlp.up_proj`, inDim: H, outDim: c.intermediate });
      out.push({ path: `${p}mlp.down_proj`, inDim: c.intermediate, outDim: H });
    }
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
    this.lm = new LmHead(src, tied ? this.w.prefix + EMBED : own, c.vocabSize, c.hidden, tied);
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
    const keys = cache ? cache.length + input.seqLen : input.seqLen;
    const keyMask = cache
      ? ops.input(new Float32Array(input.batch * keys).fill(1), [input.batch, keys])
      : mask;
    try {
      for (let i = 0; i < c.layers; i++)
        x = this.layer(ops, W, i, x, keyMask, input.batch, input.seqLen, attention === 'causal', cache);
    } finally {
      if (cache) ops.free(keyMask);
    }
    cache?.advance(input.seqLen);
    const out = ops.rmsNorm(x, W.get('norm.weight')!, c.eps);
    ops.free(x);
    return out;
  }

  /** One pre-norm block on rows [B*T, H]; consumes x. mask: [B, keys] (cached + new with a cache). */
  private layer(
    ops: Ops,
    W: Map<string, Tensor>,
    i: number,
    x: Tensor,
    mask: Tensor,
    B: number,
    T: number,
    causal: boolean,
    cache?: KvCache,
  ): Tensor {
    const c = this.config;
    const hd = c.headDim;
    const p = `layers.${i}.`;
    const g = (n: string) => W.get(p + n)!;
    const h = ops.rmsNorm(x, g('input_layernorm.weight'), c.eps);
    /** q, k: [B,T,heads,hd] after (q/k RMSNorm, qwen3, and) rope; v as is */
    const proj = (n: 'q' | 'k' | 'v', heads: number): Tensor => {
      let t = ops.reshape(ops.linear(h, `${p}self_attn.${n}_proj`), [B, T, heads, hd]);
      if (n === 'v') return t;
      if (c.qkNorm) {
        const normed = ops.rmsNorm(t, g(`self_attn.${n}_norm.weight`), c.eps);
        ops.free(t);
        t = normed;
      }
      const r = ops.rope(t, { theta: c.ropeTheta, style: 'half', offset: cache?.length ?? 0 });
      ops.free(t);
      return r;
    };
    const q = proj('q', c.heads);
    const k = proj('k', c.kvHeads);
    const v = proj('v', c.kvHeads);
    ops.free(h);
    const kv = cache ? cache.append(i, k, v) : { k, v };
    const att = ops.attention(q, kv.k, kv.v, mask, { causal, scale: 1 / Math.sqrt(hd) });
    ops.free(q);
    if (!cache) ops.free(k, v);
    const a2 = ops.reshape(att, [B * T, c.heads * hd]);
    const o = ops.linear(a2, `${p}self_attn.o_proj`);
    ops.free(a2);
    const r1 = ops.add(x, o);
    ops.free(x, o);
    const h2 = ops.rmsNorm(r1, g('post_attention_layernorm.weight'), c.eps);
    const gate = ops.linear(h2, `${p}mlp.gate_proj`);
    const up = ops.linear(h2, `${p}mlp.up_proj`);
    ops.free(h2);
    const act = ops.swiglu(gate, up);
    ops.free(gate, up);
    const down = ops.linear(act, `${p}mlp.down_proj`);
    ops.free(act);
    const out = ops.add(r1, down);
    ops.free(r1, down);
    return out;
  }

  release(backend?: Backend): void {
    this.w.release(backend);
    this.lm?.release(backend);
  }
}
