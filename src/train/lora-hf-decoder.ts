/**
 * LoRA inside HfEmbedder's decoders (qwen3, qwen2, llama), mirroring decoder.ts op for op: pre-RMSNorm
 * blocks, q/k RMSNorm (qwen3), rotary positions ('half'), grouped-query attention, SwiGLU MLP, final
 * norm; and the backward into the adapters of q/k/v/o and gate/up/down.
 */
import type { Backend, Tensor } from '../core/backend';
import { checkBatch, lookup, type TokenBatch } from '../models/hf/common';
import type { DecoderModel } from '../models/hf/decoder';
import { accumulate, type HiddenTape, type LinearRunner } from './lora-runner';
import type { LinearModule } from './lora-modules';

const EMBED = 'embed_tokens.weight';

export function decoderModules(m: DecoderModel): LinearModule[] {
  const c = m.config;
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

interface LayerSave {
  x: Tensor;
  h: Tensor;
  /** q and k before their RMSNorm (qwen3), [B,T,heads,hd]; null without q/k norm */
  qPre: Tensor | null;
  kPre: Tensor | null;
  q: Tensor;
  k: Tensor;
  v: Tensor;
  a2: Tensor;
  r1: Tensor;
  h2: Tensor;
  gate: Tensor;
  up: Tensor;
  act: Tensor;
}

const tensorsOf = (s: LayerSave): Tensor[] =>
  [s.x, s.h, s.qPre, s.kPre, s.q, s.k, s.v, s.a2, s.r1, s.h2, s.gate, s.up, s.act].filter(
    (t): t is Tensor => t !== null,
  );

export function decoderForward(
  m: DecoderModel,
  be: Backend,
  input: TokenBatch,
  lin: LinearRunner,
  mask: Tensor,
  causal: boolean,
): HiddenTape {
  const c = m.config;
  const { batch: B, seqLen: T } = input;
  const M = B * T;
  const hd = c.headDim;
  const scale = 1 / Math.sqrt(hd);
  const rope = { theta: c.ropeTheta, style: 'half' as const };
  checkBatch(input, c.vocabSize, c.maxPositions, `${c.modelType} forward`);
  const W = lin.W;
  const g = (n: string) => W.get(n)!;
  let x = lookup(be, m.weights, W, EMBED, input.ids);
  const saved: LayerSave[] = [];
  for (let i = 0; i < c.layers; i++) {
    const p = `layers.${i}.`;
    const h = be.rmsNorm(x, g(`${p}input_layernorm.weight`), c.eps);
    /** q or k as [B,T,heads,hd] after (q/k norm and) rope; the pre-norm tensor is kept for the backward when normed */
    const proj = (n: 'q' | 'k', heads: number): [Tensor | null, Tensor] => {
      const y = be.reshape(lin.run(h, `${p}self_attn.${n}_proj`), [B, T, heads, hd]);
      if (!c.qkNorm) {
        const r = be.rope(y, rope);
        be.dispose(y);
        return [null, r];
      }
      const normed = be.rmsNorm(y, g(`${p}self_attn.${n}_norm.weight`), c.eps);
      const r = be.rope(normed, rope);
      be.dispose(normed);
      return [y, r];
    };
    const [qPre, q] = proj('q', c.heads);
    const [kPre, k] = proj('k', c.kvHeads);
    const v = be.reshape(lin.run(h, `${p}self_attn.v_proj`), [B, T, c.kvHeads, hd]);
    const a2 = be.reshape(be.attention(q, k, v, mask, { causal, scale }), [M, c.heads * hd]);
    const o = lin.run(a2, `${p}self_attn.o_proj`);
    const r1 = be.add(x, o);
    be.dispose(o);
    const h2 = be.rmsNorm(r1, g(`${p}post_attention_layernorm.weight`), c.eps);
    const gate = lin.run(h2, `${p}mlp.gate_proj`);
    const up = lin.run(h2, `${p}mlp.up_proj`);
    const act = be.swiglu(gate, up);
    const down = lin.run(act, `${p}mlp.down_proj`);
    const out = be.add(r1, down);
    be.dispose(down);
    const s: LayerSave = { x, h, qPre, kPre, q, k, v, a2, r1, h2, gate, up, act };
    if (lin.save) saved.push(s);
    else be.dispose(...tensorsOf(s));
    x = out;
  }
  const last = x;
  const hidden = be.rmsNorm(last, g('norm.weight'), c.eps);
  if (!lin.save) be.dispose(last);
  return {
    hidden,
    backward: (tb, dHidden, grads) => {
      const fin = tb.rmsNormBackward(last, g('norm.weight'), dHidden, c.eps);
      tb.dispose(fin.dgamma, last);
      let d: Tensor | null = fin.dx;
      for (let i = c.layers - 1; i >= 0; i--) {
        const p = `layers.${i}.`;
        const s = saved[i];
        const dOut = d!;
        const dAct = lin.back(tb, `${p}mlp.down_proj`, dOut, grads, true)!;
        const sw = tb.swigluBackward(s.gate, s.up, dAct);
        tb.dispose(dAct);
        let dH2 = lin.back(tb, `${p}mlp.gate_proj`, sw.dgate, grads, true);
        dH2 = accumulate(tb, dH2, lin.back(tb, `${p}mlp.up_proj`, sw.dup, grads, true));
        tb.dispose(sw.dgate, sw.dup);
        const n2 = tb.rmsNormBackward(s.r1, g(`${p}post_attention_layernorm.weight`), dH2!, c.eps);
        tb.dispose(dH2!, n2.dgamma);
        const dR1 = accumulate(tb, dOut, n2.dx)!;
        const dA2 = lin.back(tb, `${p}self_attn.o_proj`, dR1, grads, true)!;
        const att = tb.attentionBackward(s.q, s.k, s.v, mask, tb.reshape(dA2, [B, T, c.heads, hd]), {
          causal,
          scale,
        });
        tb.dispose(dA2);
        const needDx = i > 0; // the embedding table is frozen
        let dH: Tensor | null = null;
        for (const [grad, n, pre, heads] of [
          [att.dq, 'q', s.qPre, c.heads],
          [att.dk, 'k', s.kPre, c.kvHeads],
        ] as const) {
          let dt = tb.ropeBackward(grad, rope);
          tb.dispose(grad);
          if (pre) {
            const nb = tb.rmsNormBackward(pre, g(`${p}self_attn.${n}_norm.weight`), dt, c.eps);
            tb.dispose(dt, nb.dgamma);
            dt = nb.dx;
          }
          dH = accumulate(
            tb,
            dH,
            lin.back(tb, `${p}self_attn.${n}_proj`, tb.reshape(dt, [M, heads * hd]), grads, needDx),
          );
          tb.dispose(dt);
        }
        dH = accumulate(
          tb,
          dH,
          lin.back(tb, `${p}self_attn.v_proj`, tb.reshape(att.dv, [M, c.kvHeads * hd]), grads, needDx),
        );
        tb.dispose(att.dv);
        if (needDx) {
          const n1 = tb.rmsNormBackward(s.x, g(`${p}input_layernorm.weight`), dH!, c.eps);
          tb.dispose(dH!, n1.dgamma);
          d = accumulate(tb, dR1, n1.dx);
        } else {
          tb.dispose(dR1, ...(dH ? [dH] : []));
          d = null;
        }
        tb.dispose(...tensorsOf(s));
      }
      saved.length = 0;
      lin.release();
    },
    release: () => {
      for (const s of saved) be.dispose(...tensorsOf(s));
      if (saved.length) be.dispose(last);
      saved.length = 0;
      lin.release();
    },
  };
}
