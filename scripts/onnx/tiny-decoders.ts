/**
 * tiny-gemma, tiny-gemma2, tiny-phi3: random decoders of those families (HF names and config.json fields),
 * the byte-level BPE tokenizer of tiny-qwen3, and ONNX graphs of the same math written out from the Hugging
 * Face modeling files (not from the studio's code):
 * - gemma: RMSNorm x * (1 + w), embeddings times sqrt(hidden) (f32), GeGLU (tanh GELU), head_dim 16 != hidden
 *   / heads, tied LM head
 * - gemma2: gemma plus attention scale query_pre_attn_scalar^-0.5 (12, not head_dim 8), logits soft-capped
 *   before the mask, sandwich norms, a sliding window of 4 on layers 0 and 2 (of 3), final logit soft-cap
 *   in the LM graph
 * - phi3: fused qkv_proj and gate_up_proj, partial_rotary_factor 0.5 (4 of 8 head dims rotate), longrope
 *   with original_max_position_embeddings 16 (max 64): the graph picks the short factors while the input
 *   spans at most 16 positions and the long ones beyond; cos/sin scaled by sqrt(1 + ln 4 / ln 16); untied
 *   lm_head
 */
import { GraphBuilder, int, ints } from './graph';
import { DT } from './protobuf';
import { Rng } from '../../src/util/rng';
import { WeightSet } from './weights';
import { tinyQwen3Vocab } from './tiny-qwen3';

export type TinyFamily = 'gemma' | 'gemma2' | 'phi3';

const BASE = {
  vocab_size: 0,
  hidden_size: 32,
  num_attention_heads: 4,
  num_key_value_heads: 2,
  intermediate_size: 64,
  max_position_embeddings: 64,
  rope_theta: 10000,
  attention_bias: false,
  attention_dropout: 0,
  bos_token_id: null as number | null,
  eos_token_id: 0,
  pad_token_id: 0,
  torch_dtype: 'float32',
};

export function tinyDecoderConfig(f: TinyFamily): Record<string, unknown> & typeof BASE {
  const { vocab, eosId } = tinyQwen3Vocab();
  const base = { ...BASE, vocab_size: Object.keys(vocab).length, eos_token_id: eosId, pad_token_id: eosId };
  if (f === 'gemma')
    return {
      ...base,
      architectures: ['GemmaModel'],
      model_type: 'gemma',
      num_hidden_layers: 2,
      head_dim: 16,
      hidden_act: 'gelu',
      hidden_activation: 'gelu_pytorch_tanh',
      rms_norm_eps: 1e-6,
      tie_word_embeddings: true,
    };
  if (f === 'gemma2')
    return {
      ...base,
      architectures: ['Gemma2Model'],
      model_type: 'gemma2',
      num_hidden_layers: 3,
      head_dim: 8,
      hidden_activation: 'gelu_pytorch_tanh',
      rms_norm_eps: 1e-6,
      query_pre_attn_scalar: 12,
      attn_logit_softcapping: 1.5,
      final_logit_softcapping: 2.5,
      sliding_window: 4,
      tie_word_embeddings: true,
    };
  return {
    ...base,
    architectures: ['Phi3ForCausalLM'],
    model_type: 'phi3',
    num_hidden_layers: 2,
    hidden_act: 'silu',
    rms_norm_eps: 1e-5,
    partial_rotary_factor: 0.5,
    original_max_position_embeddings: 16,
    rope_scaling: { type: 'longrope', short_factor: [1.0, 1.7], long_factor: [2.5, 6.0] },
    sliding_window: null,
    tie_word_embeddings: false,
  };
}

const SEEDS: Record<TinyFamily, number> = { gemma: 5101, gemma2: 5202, phi3: 5303 };

export function tinyDecoderWeights(f: TinyFamily, std = 0.2): WeightSet {
  const c = tinyDecoderConfig(f);
  const ws = new WeightSet(new Rng(SEEDS[f]), std);
  const h = c.hidden_size;
  const dh = (c.head_dim as number | undefined) ?? h / c.num_attention_heads;
  const [qd, kvd, I] = [c.num_attention_heads * dh, c.num_key_value_heads * dh, c.intermediate_size];
  // gemma's norms scale by 1 + w: weights near 0, as trained checkpoints hold them
  const norm = (name: string, n: number) => (f === 'phi3' ? ws.scale(name, n) : ws.rand(name, [n]));
  ws.rand('model.embed_tokens.weight', [c.vocab_size, h]);
  for (let l = 0; l < (c.num_hidden_layers as number); l++) {
    const p = `model.layers.${l}`;
    norm(`${p}.input_layernorm.weight`, h);
    if (f === 'phi3') ws.rand(`${p}.self_attn.qkv_proj.weight`, [qd + 2 * kvd, h]);
    else {
      ws.rand(`${p}.self_attn.q_proj.weight`, [qd, h]);
      ws.rand(`${p}.self_attn.k_proj.weight`, [kvd, h]);
      ws.rand(`${p}.self_attn.v_proj.weight`, [kvd, h]);
    }
    ws.rand(`${p}.self_attn.o_proj.weight`, [h, qd]);
    norm(`${p}.post_attention_layernorm.weight`, h);
    if (f === 'gemma2') {
      norm(`${p}.pre_feedforward_layernorm.weight`, h);
      norm(`${p}.post_feedforward_layernorm.weight`, h);
    }
    if (f === 'phi3') ws.rand(`${p}.mlp.gate_up_proj.weight`, [2 * I, h]);
    else {
      ws.rand(`${p}.mlp.gate_proj.weight`, [I, h]);
      ws.rand(`${p}.mlp.up_proj.weight`, [I, h]);
    }
    ws.rand(`${p}.mlp.down_proj.weight`, [h, I]);
  }
  norm('model.norm.weight', h);
  if (f === 'phi3') ws.rand('lm_head.weight', [c.vocab_size, h]);
  return ws;
}

/** cos/sin [P, rd] ('half' layout over the rotary dims) in f32 steps as HF: inv, t * inv, cos * scale */
function tables(P: number, rd: number, theta: number, ext: readonly number[], mscale: number) {
  const f = Math.fround;
  const half = rd / 2;
  const cos = new Float32Array(P * rd);
  const sin = new Float32Array(P * rd);
  for (let i = 0; i < half; i++) {
    const inv = f(1 / f(f(ext[i]) * f(Math.pow(theta, f((2 * i) / rd)))));
    for (let t = 0; t < P; t++) {
      const a = f(t * inv);
      cos[t * rd + i] = cos[t * rd + i + half] = f(f(Math.cos(a)) * f(mscale));
      sin[t * rd + i] = sin[t * rd + i + half] = f(f(Math.sin(a)) * f(mscale));
    }
  }
  return { cos, sin };
}

/**
 * <Family>Model.forward(...).last_hidden_state; causal adds the triangular mask. lm: the causal LM's logits
 * (gemma2: soft-capped by final_logit_softcapping).
 */
export function tinyDecoderOnnx(f: TinyFamily, ws: WeightSet, causal: boolean, lm = false): Uint8Array {
  const c = tinyDecoderConfig(f);
  const h = c.hidden_size;
  const nq = c.num_attention_heads;
  const nkv = c.num_key_value_heads;
  const dh = (c.head_dim as number | undefined) ?? h / nq;
  const I = c.intermediate_size;
  const L = c.num_hidden_layers as number;
  const eps = c.rms_norm_eps as number;
  const P = c.max_position_embeddings;
  const gemma = f !== 'phi3';
  const g = new GraphBuilder(`tiny-${f}${lm ? '-lm' : causal ? '' : '-bidirectional'}`);
  const ids = g.input('input_ids', DT.INT64, ['batch', 'sequence']);
  const mask = g.input('attention_mask', DT.INT64, ['batch', 'sequence']);
  const w = (n: string) => ws.get(n);
  const T = g.seqLen(ids);

  const norm = (x: string, name: string): string => {
    const ms = g.op('ReduceMean', [g.op('Mul', [x, x])], { axes: ints([-1]), keepdims: int(1) });
    const n = g.op('Div', [x, g.op('Sqrt', [g.op('Add', [ms, g.scalar(eps)])])]);
    const wt = g.f32(`${name}.weight`, w(`${name}.weight`), [h]);
    return g.op('Mul', [n, gemma ? g.op('Add', [wt, g.scalar(1)]) : wt]);
  };
  const geluTanh = (x: string): string => {
    const x3 = g.op('Mul', [g.op('Mul', [x, x]), x]);
    const inner = g.op('Mul', [
      g.op('Add', [x, g.op('Mul', [x3, g.scalar(0.044715)])]),
      g.scalar(Math.sqrt(2 / Math.PI)),
    ]);
    return g.op('Mul', [g.op('Mul', [x, g.scalar(0.5)]), g.op('Add', [g.op('Tanh', [inner]), g.scalar(1)])]);
  };
  const cap = (x: string, s: number) =>
    g.op('Mul', [g.op('Tanh', [g.op('Div', [x, g.scalar(s)])]), g.scalar(s)]);
  const lastSlice = (x: string, a: number, b: number) =>
    g.op('Slice', [x, g.i64([a]), g.i64([b]), g.i64([-1])]);

  let x = g.op(
    'Gather',
    [g.f32('model.embed_tokens.weight', w('model.embed_tokens.weight'), [c.vocab_size, h]), ids],
    {
      axis: int(0),
    },
  );
  if (gemma) x = g.op('Mul', [x, g.scalar(Math.fround(Math.sqrt(h)))]);

  // masks: padding, causal (j > i hidden), sliding window (j <= i - w hidden; bidirectional also j >= i + w,
  // HF's bidirectional sliding-window overlay |i - j| < w)
  const pad = g.paddingBias(mask); // [B,1,1,T]
  const tri = (hide: (i: number, j: number) => boolean, name: string) => {
    const m = new Float32Array(P * P);
    for (let i = 0; i < P; i++) for (let j = 0; j < P; j++) if (hide(i, j)) m[i * P + j] = -1e9;
    return g.sliceLeading(g.f32(name, m, [P, P]), T, true);
  };
  const window = (c.sliding_window as number | null | undefined) ?? null;
  const biasFull = causal ? g.op('Add', [pad, tri((i, j) => j > i, 'causal_bias')]) : pad;
  const biasLocal =
    window === null
      ? biasFull
      : g.op('Add', [
          pad,
          tri(
            (i, j) => j <= i - window || (causal ? j > i : j >= i + window),
            causal ? 'local_causal_bias' : 'local_bias',
          ),
        ]);

  // rope over the first rd dims; phi3's longrope: short factors while the input spans <= 16 positions
  const rd = f === 'phi3' ? dh * (c.partial_rotary_factor as number) : dh;
  let cos: string;
  let sin: string;
  if (f === 'phi3') {
    const rs = c.rope_scaling as { short_factor: number[]; long_factor: number[] };
    const orig = c.original_max_position_embeddings as number;
    const mscale = Math.sqrt(1 + Math.log(P / orig) / Math.log(orig));
    const s = tables(P, rd, c.rope_theta, rs.short_factor, mscale);
    const l = tables(P, rd, c.rope_theta, rs.long_factor, mscale);
    const long = g.op('Greater', [T, g.i64([orig])]);
    cos = g.op('Where', [
      long,
      g.f32('rope_cos_long', l.cos, [P, rd]),
      g.f32('rope_cos_short', s.cos, [P, rd]),
    ]);
    sin = g.op('Where', [
      long,
      g.f32('rope_sin_long', l.sin, [P, rd]),
      g.f32('rope_sin_short', s.sin, [P, rd]),
    ]);
  } else {
    const t = tables(P, rd, c.rope_theta, new Array<number>(rd / 2).fill(1), 1);
    cos = g.f32('rope_cos', t.cos, [P, rd]);
    sin = g.f32('rope_sin', t.sin, [P, rd]);
  }
  cos = g.sliceLeading(cos, T);
  sin = g.sliceLeading(sin, T);
  const rope = (t: string) => {
    const r = rd === dh ? t : lastSlice(t, 0, rd);
    const rot = g.op('Concat', [g.op('Neg', [lastSlice(r, rd / 2, rd)]), lastSlice(r, 0, rd / 2)], {
      axis: int(-1),
    });
    const y = g.op('Add', [g.op('Mul', [r, cos]), g.op('Mul', [rot, sin])]);
    return rd === dh ? y : g.op('Concat', [y, lastSlice(t, rd, dh)], { axis: int(-1) });
  };
  const repeatKv = (t: string) => {
    const u = g.op('Unsqueeze', [t, g.i64([2])]);
    const r = g.op('Concat', Array<string>(nq / nkv).fill(u), { axis: int(2) });
    return g.op('Reshape', [r, g.i64([0, nq, -1, dh])]);
  };
  const toHeads = (t: string, heads: number) =>
    g.op('Transpose', [g.op('Reshape', [t, g.i64([0, 0, heads, dh])])], { perm: ints([0, 2, 1, 3]) });
  const scale = f === 'gemma2' ? (c.query_pre_attn_scalar as number) ** -0.5 : dh ** -0.5;

  for (let l = 0; l < L; l++) {
    const p = `model.layers.${l}`;
    const lin = (y: string, n: string, out: number, inF: number) =>
      g.linear(y, `${p}.${n}`, w(`${p}.${n}.weight`), out, inF);
    const hn = norm(x, `${p}.input_layernorm`);
    let q: string;
    let k: string;
    let v: string;
    if (f === 'phi3') {
      const qkv = lin(hn, 'self_attn.qkv_proj', (nq + 2 * nkv) * dh, h);
      q = lastSlice(qkv, 0, nq * dh);
      k = lastSlice(qkv, nq * dh, (nq + nkv) * dh);
      v = lastSlice(qkv, (nq + nkv) * dh, (nq + 2 * nkv) * dh);
    } else {
      q = lin(hn, 'self_attn.q_proj', nq * dh, h);
      k = lin(hn, 'self_attn.k_proj', nkv * dh, h);
      v = lin(hn, 'self_attn.v_proj', nkv * dh, h);
    }
    const qh = rope(toHeads(q, nq));
    const kT = g.op('Transpose', [repeatKv(rope(toHeads(k, nkv)))], { perm: ints([0, 1, 3, 2]) });
    let scores = g.op('Mul', [g.op('MatMul', [qh, kT]), g.scalar(scale)]);
    if (f === 'gemma2') scores = cap(scores, c.attn_logit_softcapping as number);
    // gemma2 (HF Gemma2DecoderLayer.is_sliding): layers 0, 2, ... slide
    scores = g.op('Add', [scores, f === 'gemma2' && l % 2 === 0 ? biasLocal : biasFull]);
    const ctx = g.op('MatMul', [g.op('Softmax', [scores], { axis: int(-1) }), repeatKv(toHeads(v, nkv))]);
    const merged = g.op('Reshape', [
      g.op('Transpose', [ctx], { perm: ints([0, 2, 1, 3]) }),
      g.i64([0, 0, nq * dh]),
    ]);
    let o = lin(merged, 'self_attn.o_proj', h, nq * dh);
    if (f === 'gemma2') o = norm(o, `${p}.post_attention_layernorm`);
    x = g.op('Add', [x, o]);
    const hn2 = norm(x, `${p}.${f === 'gemma2' ? 'pre_feedforward_layernorm' : 'post_attention_layernorm'}`);
    let gate: string;
    let up: string;
    if (f === 'phi3') {
      const gu = lin(hn2, 'mlp.gate_up_proj', 2 * I, h);
      gate = lastSlice(gu, 0, I);
      up = lastSlice(gu, I, 2 * I);
    } else {
      gate = lin(hn2, 'mlp.gate_proj', I, h);
      up = lin(hn2, 'mlp.up_proj', I, h);
    }
    const act = f === 'phi3' ? g.silu(gate) : geluTanh(gate);
    let down = lin(g.op('Mul', [act, up]), 'mlp.down_proj', h, I);
    if (f === 'gemma2') down = norm(down, `${p}.post_feedforward_layernorm`);
    x = g.op('Add', [x, down]);
  }
  x = norm(x, 'model.norm');
  if (lm) {
    if (!causal) throw new Error('tinyDecoderOnnx: the LM graph is causal');
    const head = f === 'phi3' ? 'lm_head.weight' : 'model.embed_tokens.weight';
    let logits = g.linear(x, 'lm_head', w(head), c.vocab_size, h);
    if (f === 'gemma2') logits = cap(logits, c.final_logit_softcapping as number);
    g.output(logits, 'logits', DT.FLOAT, ['batch', 'sequence', c.vocab_size]);
  } else g.output(x, 'last_hidden_state', DT.FLOAT, ['batch', 'sequence', h]);
  return g.encode();
}
