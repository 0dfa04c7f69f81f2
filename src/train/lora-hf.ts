/**
 * LoRA inside HfEmbedder's models: BERT-family encoders here (post-LN blocks, mirroring bert.ts op for
 * op), decoders in lora-hf-decoder.ts. Adapted linears get PEFT module paths of the bare model
 * (AutoModel): "encoder.layer.0.attention.self.query", "layers.0.self_attn.q_proj", ….
 * Rows are kept as [B*T, H] for the linears and norms; attention and pooling see [B, T, ...] views.
 */
import type { Backend, Tensor } from '../core/backend';
import { BertModel } from '../models/hf/bert';
import { checkBatch, consume, lookup, type TokenBatch } from '../models/hf/common';
import type { HfEmbedder } from '../models/hf/embedder';
import { accumulate, LinearRunner, type HiddenTape } from './lora-runner';
import type { LoraBatch, LoraModel } from './lora-model';
import type { LinearModule } from './lora-modules';
import { decoderForward, decoderModules } from './lora-hf-decoder';

const WORD = 'embeddings.word_embeddings.weight';

function bertModules(m: BertModel): LinearModule[] {
  const c = m.config;
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

function bertForward(
  m: BertModel,
  be: Backend,
  input: TokenBatch,
  lin: LinearRunner,
  mask: Tensor,
): HiddenTape {
  const c = m.config;
  const { batch: B, seqLen: T } = input;
  const M = B * T;
  const H = c.hidden;
  const nh = c.heads;
  const dh = H / nh;
  checkBatch(input, c.vocabSize, c.maxPositions - c.positionOffset, `${c.modelType} forward`);
  const typeIds = input.typeIds ?? new Uint32Array(M);
  if (typeIds.some((t) => t >= c.typeVocabSize))
    throw new Error(`${c.modelType} forward: token type id outside [0, ${c.typeVocabSize})`);
  const W = lin.W;
  const g = (n: string) => W.get(n)!;
  const posIds = new Uint32Array(M);
  for (let i = 0; i < M; i++) posIds[i] = c.positionOffset + (i % T);
  const word = lookup(be, m.weights, W, WORD, input.ids);
  const pos = lookup(be, m.weights, W, 'embeddings.position_embeddings.weight', posIds);
  const typ = lookup(be, m.weights, W, 'embeddings.token_type_embeddings.weight', typeIds);
  const sum1 = consume(be, [word, pos], () => be.add(word, pos));
  const sum = consume(be, [sum1, typ], () => be.add(sum1, typ));
  let x = consume(be, [sum], () =>
    be.layerNorm(sum, g('embeddings.LayerNorm.weight'), g('embeddings.LayerNorm.bias'), c.eps),
  );
  const saved: Tensor[][] = [];
  for (let i = 0; i < c.layers; i++) {
    const p = `encoder.layer.${i}.`;
    const heads = (n: string) => be.reshape(lin.run(x, `${p}attention.self.${n}`), [B, T, nh, dh]);
    const q = heads('query');
    const k = heads('key');
    const v = heads('value');
    const a2 = be.reshape(be.attention(q, k, v, mask, { causal: false, scale: 1 / Math.sqrt(dh) }), [M, H]);
    const o = lin.run(a2, `${p}attention.output.dense`);
    const r1 = be.add(o, x);
    be.dispose(o);
    const h1 = be.layerNorm(
      r1,
      g(`${p}attention.output.LayerNorm.weight`),
      g(`${p}attention.output.LayerNorm.bias`),
      c.eps,
    );
    const up = lin.run(h1, `${p}intermediate.dense`);
    const act = be.activation(up, c.act);
    const down = lin.run(act, `${p}output.dense`);
    const r2 = be.add(down, h1);
    be.dispose(down);
    const out = be.layerNorm(r2, g(`${p}output.LayerNorm.weight`), g(`${p}output.LayerNorm.bias`), c.eps);
    if (lin.save) saved.push([x, q, k, v, a2, r1, h1, up, act, r2]);
    else be.dispose(x, q, k, v, a2, r1, h1, up, act, r2);
    x = out;
  }
  const hidden = x;
  return {
    hidden,
    backward: (tb, dHidden, grads) => {
      let d: Tensor | null = dHidden;
      for (let i = c.layers - 1; i >= 0; i--) {
        const p = `encoder.layer.${i}.`;
        const [xi, q, k, v, , r1, h1, up, , r2] = saved[i];
        const ln2 = tb.layerNormBackward(r2, g(`${p}output.LayerNorm.weight`), d!, c.eps);
        if (d !== dHidden) tb.dispose(d!);
        tb.dispose(ln2.dgamma, ln2.dbeta);
        const dAct = lin.back(tb, `${p}output.dense`, ln2.dx, grads, true)!;
        const dUp = tb.activationBackward(up, dAct, c.act);
        tb.dispose(dAct);
        const dH1 = accumulate(tb, lin.back(tb, `${p}intermediate.dense`, dUp, grads, true), ln2.dx)!;
        tb.dispose(dUp);
        const ln1 = tb.layerNormBackward(r1, g(`${p}attention.output.LayerNorm.weight`), dH1, c.eps);
        tb.dispose(dH1, ln1.dgamma, ln1.dbeta);
        const dA2 = lin.back(tb, `${p}attention.output.dense`, ln1.dx, grads, true)!;
        const att = tb.attentionBackward(q, k, v, mask, tb.reshape(dA2, [B, T, nh, dh]), {
          causal: false,
          scale: 1 / Math.sqrt(dh),
        });
        tb.dispose(dA2);
        const needDx = i > 0; // embeddings and their LayerNorm are frozen
        let dx: Tensor | null = null;
        for (const [gr, n] of [
          [att.dq, 'query'],
          [att.dk, 'key'],
          [att.dv, 'value'],
        ] as const) {
          dx = accumulate(
            tb,
            dx,
            lin.back(tb, `${p}attention.self.${n}`, tb.reshape(gr, [M, H]), grads, needDx),
          );
          tb.dispose(gr);
        }
        if (needDx) d = accumulate(tb, dx, ln1.dx);
        else {
          tb.dispose(ln1.dx);
          d = null;
        }
        tb.dispose(xi, q, k, v, saved[i][4], r1, h1, up, saved[i][8], r2);
      }
      saved.length = 0;
      lin.release();
    },
    release: () => {
      for (const s of saved) be.dispose(...s);
      saved.length = 0;
      lin.release();
    },
  };
}

/** An HfEmbedder (BERT family or decoder) as a LoraModel: its batching, pooling and forward. */
export function loraModelOfHf(e: HfEmbedder): LoraModel {
  const isBert = e.model instanceof BertModel;
  return {
    embedder: e,
    modules: e.model instanceof BertModel ? bertModules(e.model) : decoderModules(e.model),
    plan: (be, texts) => {
      const seqs = e.tokenize(texts);
      const order = seqs.map((_, i) => i).sort((a, b) => seqs[a].length - seqs[b].length);
      const groups: number[][] = [];
      for (let s = 0; s < order.length; s += e.batchSize) groups.push(order.slice(s, s + e.batchSize));
      return {
        groups,
        forward: (group, lora, dropout, save): LoraBatch => {
          const input = e.batch(group.map((i) => seqs[i]));
          const { batch: B, seqLen: T } = input;
          const mask = be.tensor(input.mask, [B, T]);
          const W = e.model.weights.on(be, new Set([isBert ? WORD : 'embed_tokens.weight']));
          const lin = new LinearRunner(be, W, lora, dropout, save);
          const tape =
            e.model instanceof BertModel
              ? bertForward(e.model, be, input, lin, mask)
              : decoderForward(e.model, be, input, lin, mask, e.attention === 'causal');
          const h3 = be.reshape(tape.hidden, [B, T, e.dim]);
          const pooled = e.pooling === 'mean' ? be.maskedMeanPool(h3, mask) : be.pool(h3, mask, e.pooling);
          const normed = be.l2Normalize(pooled);
          let live = save;
          if (!save) {
            tape.release();
            be.dispose(tape.hidden, pooled, mask);
          }
          const free = () => {
            tape.release();
            be.dispose(tape.hidden, pooled, mask);
          };
          return {
            normed,
            backward: (tb, dN, grads) => {
              if (!live)
                throw new Error('HF LoRA: backward of a forward that was not saved or already released');
              live = false;
              const dPooled = tb.l2NormalizeBackward(pooled, dN);
              const dh =
                e.pooling === 'mean'
                  ? tb.maskedMeanPoolBackward(mask, dPooled, T)
                  : tb.poolBackward(mask, dPooled, T, e.pooling);
              tb.dispose(dPooled);
              const d2 = tb.reshape(dh, [B * T, e.dim]);
              try {
                tape.backward(tb, d2, grads);
              } finally {
                tb.dispose(d2);
                be.dispose(tape.hidden, pooled, mask);
              }
            },
            release: () => {
              if (live) free();
              live = false;
            },
          };
        },
      };
    },
  };
}
