/**
 * Decoder-only transformer (qwen3, qwen2, llama) forward pass on Backend ops, Hugging Face weight names:
 * pre-RMSNorm blocks, rotary positions ('half' layout), grouped-query attention, SwiGLU MLP, final norm.
 * Attention is causal (the pretrained LM) or bidirectional (STM embedders: causal mask disabled).
 */
import type { Backend, Tensor } from '../../core/backend';
import type { DecoderConfig } from './config';
import { checkBatch, consume, lookup, type TokenBatch } from './common';
import type { SafetensorsFile } from './safetensors';
import { Weights } from './weights';

export type DecoderAttention = 'bidirectional' | 'causal';

const EMBED = 'embed_tokens.weight';

export class DecoderModel {
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
    readonly config: DecoderConfig,
    src: SafetensorsFile,
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

  /** Last hidden states [B, T, H] (after the final norm) for a right-padded batch; the caller disposes it. */
  forward(backend: Backend, input: TokenBatch, attention: DecoderAttention = 'bidirectional'): Tensor {
    const c = this.config;
    const { batch: B, seqLen: T } = input;
    checkBatch(input, c.vocabSize, c.maxPositions, `${c.modelType} forward`);
    const W = this.w.on(backend, new Set([EMBED]));
    const emb = lookup(backend, this.w, W, EMBED, input.ids);
    let x = backend.reshape(emb, [B, T, c.hidden]);
    const mask = backend.tensor(input.mask, [B, T]);
    try {
      // a failing layer may leak its intermediates, never frees a tensor twice
      for (let i = 0; i < c.layers; i++) x = this.layer(backend, W, i, x, mask, B, T, attention === 'causal');
    } finally {
      backend.dispose(mask);
    }
    return consume(backend, [x], () => backend.rmsNorm(x, W.get('norm.weight')!, c.eps));
  }

  /** One pre-norm block; consumes x. */
  private layer(
    backend: Backend,
    W: Map<string, Tensor>,
    i: number,
    x: Tensor,
    mask: Tensor,
    B: number,
    T: number,
    causal: boolean,
  ): Tensor {
    const c = this.config;
    const p = `layers.${i}.`;
    const g = (n: string) => W.get(p + n) ?? null;
    const h = backend.rmsNorm(x, g('input_layernorm.weight')!, c.eps);
    const proj = (n: 'q' | 'k' | 'v', heads: number): Tensor => {
      const y = backend.linear(h, g(`self_attn.${n}_proj.weight`)!, g(`self_attn.${n}_proj.bias`), 'nk');
      let t = backend.reshape(y, [B, T, heads, c.headDim]);
      if (n !== 'v' && c.qkNorm) {
        const normed: Tensor = backend.rmsNorm(t, g(`self_attn.${n}_norm.weight`)!, c.eps);
        backend.dispose(t);
        t = normed;
      }
      if (n === 'v') return t;
      const src = t;
      return consume(backend, [src], () => backend.rope(src, { theta: c.ropeTheta, style: 'half' }));
    };
    const q = proj('q', c.heads);
    const k = proj('k', c.kvHeads);
    const v = consume(backend, [h], () => proj('v', c.kvHeads));
    const att = consume(backend, [q, k, v], () =>
      backend.attention(q, k, v, mask, { causal, scale: 1 / Math.sqrt(c.headDim) }),
    );
    const a2 = backend.reshape(att, [B, T, c.heads * c.headDim]);
    const o = consume(backend, [a2], () =>
      backend.linear(a2, g('self_attn.o_proj.weight')!, g('self_attn.o_proj.bias'), 'nk'),
    );
    const r1 = consume(backend, [o, x], () => backend.add(x, o));
    const h2 = backend.rmsNorm(r1, g('post_attention_layernorm.weight')!, c.eps);
    const gate = backend.linear(h2, g('mlp.gate_proj.weight')!, null, 'nk');
    const up = consume(backend, [h2], () => backend.linear(h2, g('mlp.up_proj.weight')!, null, 'nk'));
    const act = consume(backend, [gate, up], () => backend.swiglu(gate, up));
    const down = consume(backend, [act], () => backend.linear(act, g('mlp.down_proj.weight')!, null, 'nk'));
    return consume(backend, [down, r1], () => backend.add(r1, down));
  }

  release(backend?: Backend): void {
    this.w.release(backend);
  }
}
