/**
 * tiny-qwen3: a random 2-layer Qwen3 decoder (HF names), a byte-level BPE tokenizer and ONNX exports. The
 * weight and graph builders take the config as a parameter, so the bench's Qwen3-0.6B-shaped model uses them.
 */
import { GraphBuilder, int, ints, type ExternalSink } from './graph';
import { DT } from './protobuf';
import { Rng } from '../../src/util/rng';
import { WeightSet } from './weights';

export const TINY_QWEN3_CONFIG = {
  architectures: ['Qwen3Model'],
  model_type: 'qwen3',
  vocab_size: 0, // filled from the tokenizer
  hidden_size: 32,
  num_hidden_layers: 2,
  num_attention_heads: 4,
  num_key_value_heads: 2,
  head_dim: 8,
  intermediate_size: 64,
  max_position_embeddings: 64,
  rms_norm_eps: 1e-6,
  rope_theta: 10000,
  rope_scaling: null,
  tie_word_embeddings: true,
  hidden_act: 'silu',
  attention_bias: false,
  attention_dropout: 0,
  use_sliding_window: false,
  bos_token_id: null as number | null,
  eos_token_id: 0,
  pad_token_id: 0,
  torch_dtype: 'float32',
};

/** GPT-2 bytes_to_unicode: printable bytes map to themselves, the rest to U+0100.. */
export function bytesToUnicode(): string[] {
  const keep = (b: number) => (b >= 33 && b <= 126) || (b >= 161 && b <= 172) || (b >= 174 && b <= 255);
  const out: string[] = [];
  let n = 0;
  for (let b = 0; b < 256; b++) out.push(String.fromCodePoint(keep(b) ? b : 256 + n++));
  return out;
}

/** merges in priority order; each side must already be a token ("Ġ" is the byte-level space) */
const MERGES: readonly [string, string][] = [
  ['Ġ', 't'],
  ['h', 'e'],
  ['i', 'n'],
  ['e', 'r'],
  ['Ġ', 'a'],
  ['o', 'n'],
  ['r', 'e'],
  ['Ġt', 'he'],
  ['a', 't'],
  ['e', 'n'],
  ['Ġ', 's'],
  ['o', 'r'],
  ['Ġ', 'o'],
  ['Ġ', 'c'],
  ['i', 's'],
  ['e', 's'],
  ['Ġ', 'p'],
  ['a', 'n'],
  ['Ġ', 'w'],
  ['Ġ', 'f'],
  ['Ġ', 'b'],
  ['a', 'l'],
  ['Ġ', 'm'],
  ['Ġ', 'd'],
  ['in', 'g'],
  ['Ġ', 'i'],
  ['e', 'd'],
  ['i', 'on'],
  ['t', 'ion'],
  ['Ġo', 'f'],
  ['n', 'd'],
  ['Ġa', 'nd'],
  ['Ġ', 'h'],
  ['Ġi', 's'],
  ['Ġi', 'n'],
  ['e', 'l'],
  ['el', 'l'],
  ['Ġc', 'ell'],
  ['Ġp', 'at'],
  ['Ġpat', 'i'],
  ['en', 't'],
  ['Ġpati', 'ent'],
  ['Ġ', 'Q'],
  ['u', 'e'],
  ['Ġ', 'r'],
  ['Ġt', 'o'],
];

export const EOS = '<|endoftext|>';
/** Qwen's chat-turn tokens, after <|endoftext|> (ids eos + 1, eos + 2) */
export const IM_START = '<|im_start|>';
export const IM_END = '<|im_end|>';

/** A ChatML template as Qwen2.5/Qwen3 write turns (no tools, no default system prompt). */
export const TINY_CHAT_TEMPLATE =
  "{%- for message in messages %}{{- '<|im_start|>' + message.role + '\n' + message.content + '<|im_end|>' + '\n' }}{%- endfor %}" +
  "{%- if add_generation_prompt %}{{- '<|im_start|>assistant\n' }}{%- endif %}";

/**
 * vocab: the 256 byte tokens (ids 0..255), merge results in merge order, then <|endoftext|>, <|im_start|>,
 * <|im_end|> last
 */
export function tinyQwen3Vocab(): { vocab: Record<string, number>; merges: string[]; eosId: number } {
  const vocab: Record<string, number> = {};
  let next = 0;
  for (const ch of bytesToUnicode()) vocab[ch] = next++;
  const merges: string[] = [];
  for (const [a, b] of MERGES) {
    if (!(a in vocab) || !(b in vocab)) throw new Error(`merge ${a} ${b}: a side is not a token`);
    if (a + b in vocab) continue;
    vocab[a + b] = next++;
    merges.push(`${a} ${b}`);
  }
  const eosId = next;
  vocab[EOS] = eosId;
  vocab[IM_START] = eosId + 1;
  vocab[IM_END] = eosId + 2;
  return { vocab, merges, eosId };
}

export function tinyQwen3Config() {
  const { vocab, eosId } = tinyQwen3Vocab();
  return {
    ...TINY_QWEN3_CONFIG,
    vocab_size: Object.keys(vocab).length,
    eos_token_id: eosId,
    pad_token_id: eosId,
  };
}

/**
 * Byte-level BPE like Qwen's, with a TemplateProcessing post-processor that appends <|endoftext|> to every
 * sequence (as Qwen3-Embedding's tokenizer does), so last-token pooling reads the EOS state.
 */
export function tinyQwen3Tokenizer(
  v: { vocab: Record<string, number>; merges: string[]; eosId: number } = tinyQwen3Vocab(),
  maxLength = TINY_QWEN3_CONFIG.max_position_embeddings,
): { tokenizer: object; config: object } {
  const { vocab, merges, eosId } = v;
  const special = (content: string) => ({
    id: vocab[content],
    content,
    single_word: false,
    lstrip: false,
    rstrip: false,
    normalized: false,
    special: true,
  });
  const tokenizer = {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: [special(EOS), special(IM_START), special(IM_END)],
    normalizer: { type: 'NFC' },
    pre_tokenizer: { type: 'ByteLevel', add_prefix_space: false, trim_offsets: false, use_regex: true },
    post_processor: {
      type: 'TemplateProcessing',
      single: [{ Sequence: { id: 'A', type_id: 0 } }, { SpecialToken: { id: EOS, type_id: 0 } }],
      pair: [
        { Sequence: { id: 'A', type_id: 0 } },
        { SpecialToken: { id: EOS, type_id: 0 } },
        { Sequence: { id: 'B', type_id: 1 } },
        { SpecialToken: { id: EOS, type_id: 1 } },
      ],
      special_tokens: { [EOS]: { id: EOS, ids: [eosId], tokens: [EOS] } },
    },
    decoder: { type: 'ByteLevel', add_prefix_space: false, trim_offsets: false, use_regex: true },
    model: {
      type: 'BPE',
      dropout: null,
      unk_token: null,
      continuing_subword_prefix: '',
      end_of_word_suffix: '',
      fuse_unk: false,
      byte_fallback: false,
      vocab,
      merges,
    },
  };
  const config = {
    tokenizer_class: 'Qwen2Tokenizer',
    model_max_length: maxLength,
    eos_token: EOS,
    pad_token: EOS,
    bos_token: null,
    unk_token: null,
    add_prefix_space: false,
    clean_up_tokenization_spaces: false,
    padding_side: 'right',
    chat_template: TINY_CHAT_TEMPLATE,
  };
  return { tokenizer, config };
}

/** generation_config.json: a chat turn ends at <|im_end|> (as Qwen's), a document at <|endoftext|> */
export function tinyQwen3GenerationConfig(): object {
  const { vocab, eosId } = tinyQwen3Vocab();
  return {
    bos_token_id: null,
    eos_token_id: [vocab[IM_END], eosId],
    pad_token_id: eosId,
    do_sample: true,
    temperature: 0.7,
    top_p: 0.8,
  };
}

/** a Qwen3 config of any shape (the tiny one's fields) */
export type Qwen3Shape = ReturnType<typeof tinyQwen3Config>;

/** tokens added after the first version (the chat-turn tokens): their embedding rows are drawn last */
const LATE_TOKENS = 2;

export function tinyQwen3Weights(seed = 4321, std = 0.2, c: Qwen3Shape = tinyQwen3Config()): WeightSet {
  const rng = new Rng(seed);
  const ws = new WeightSet(rng, std);
  const h = c.hidden_size;
  const dh = c.head_dim;
  const early = ws.rand('model.embed_tokens.weight', [c.vocab_size - LATE_TOKENS, h]);
  for (let l = 0; l < c.num_hidden_layers; l++) {
    const p = `model.layers.${l}`;
    ws.scale(`${p}.input_layernorm.weight`, h);
    ws.rand(`${p}.self_attn.q_proj.weight`, [c.num_attention_heads * dh, h]);
    ws.rand(`${p}.self_attn.k_proj.weight`, [c.num_key_value_heads * dh, h]);
    ws.rand(`${p}.self_attn.v_proj.weight`, [c.num_key_value_heads * dh, h]);
    ws.rand(`${p}.self_attn.o_proj.weight`, [h, c.num_attention_heads * dh]);
    ws.scale(`${p}.self_attn.q_norm.weight`, dh);
    ws.scale(`${p}.self_attn.k_norm.weight`, dh);
    ws.scale(`${p}.post_attention_layernorm.weight`, h);
    ws.rand(`${p}.mlp.gate_proj.weight`, [c.intermediate_size, h]);
    ws.rand(`${p}.mlp.up_proj.weight`, [c.intermediate_size, h]);
    ws.rand(`${p}.mlp.down_proj.weight`, [h, c.intermediate_size]);
  }
  ws.scale('model.norm.weight', h);
  // the chat-turn rows last, so every other weight keeps the values of the models without them
  const table = new Float32Array(c.vocab_size * h);
  table.set(early);
  table.set(rng.normals(LATE_TOKENS * h, std), early.length);
  ws.map.set('model.embed_tokens.weight', { shape: [c.vocab_size, h], data: table });
  return ws;
}

/** cos/sin tables [P, dh] for 'half' RoPE, computed in float32 steps like HF's rotary embedding */
export function ropeTables(p: number, dh: number, theta: number): { cos: Float32Array; sin: Float32Array } {
  const half = dh / 2;
  const inv = new Float32Array(half);
  for (let i = 0; i < half; i++) inv[i] = 1 / Math.pow(theta, (2 * i) / dh);
  const cos = new Float32Array(p * dh);
  const sin = new Float32Array(p * dh);
  for (let t = 0; t < p; t++) {
    for (let i = 0; i < half; i++) {
      const a = Math.fround(t * inv[i]);
      cos[t * dh + i] = cos[t * dh + i + half] = Math.cos(a);
      sin[t * dh + i] = sin[t * dh + i + half] = Math.sin(a);
    }
  }
  return { cos, sin };
}

/**
 * Qwen3Model.forward(...).last_hidden_state (after model.norm); causal adds the decoder's triangular mask.
 * lm: Qwen3ForCausalLM instead: causal, output `logits` [batch, sequence, vocab] through the tied LM head.
 * With `external`, the large initializers go there (ONNX external data) instead of into the returned bytes.
 */
export function tinyQwen3Onnx(
  ws: WeightSet,
  causal: boolean,
  lm = false,
  c: Qwen3Shape = tinyQwen3Config(),
  external?: ExternalSink,
): Uint8Array {
  const { hidden_size: h, head_dim: dh, num_attention_heads: nq, num_key_value_heads: nkv } = c;
  const P = c.max_position_embeddings;
  if (lm && !causal) throw new Error('tinyQwen3Onnx: the LM graph is causal');
  const g = new GraphBuilder(
    lm ? 'tiny-qwen3-lm' : causal ? 'tiny-qwen3' : 'tiny-qwen3-bidirectional',
    external,
  );
  const ids = g.input('input_ids', DT.INT64, ['batch', 'sequence']);
  const mask = g.input('attention_mask', DT.INT64, ['batch', 'sequence']);
  const w = (n: string) => ws.get(n);
  const T = g.seqLen(ids);

  let x = g.op(
    'Gather',
    [g.f32('model.embed_tokens.weight', w('model.embed_tokens.weight'), [c.vocab_size, h]), ids],
    { axis: int(0) },
  );
  let bias = g.paddingBias(mask); // [B,1,1,T]
  if (causal) {
    const tri = new Float32Array(P * P);
    for (let i = 0; i < P; i++) for (let j = i + 1; j < P; j++) tri[i * P + j] = -1e9;
    bias = g.op('Add', [bias, g.sliceLeading(g.f32('causal_bias', tri, [P, P]), T, true)]); // [B,1,T,T]
  }
  const rope = ropeTables(P, dh, c.rope_theta);
  const cos = g.sliceLeading(g.f32('rope_cos', rope.cos, [P, dh]), T); // [T,dh] broadcasts over [B,H,T,dh]
  const sin = g.sliceLeading(g.f32('rope_sin', rope.sin, [P, dh]), T);
  const applyRope = (t: string) => {
    const lo = g.op('Slice', [t, g.i64([0]), g.i64([dh / 2]), g.i64([-1])]);
    const hi = g.op('Slice', [t, g.i64([dh / 2]), g.i64([dh]), g.i64([-1])]);
    const rot = g.op('Concat', [g.op('Neg', [hi]), lo], { axis: int(-1) });
    return g.op('Add', [g.op('Mul', [t, cos]), g.op('Mul', [rot, sin])]);
  };
  /** [B,Hkv,T,dh] -> [B,Hq,T,dh], kv head j serving query heads j*rep .. j*rep+rep-1 (HF repeat_kv) */
  const repeatKv = (t: string) => {
    const u = g.op('Unsqueeze', [t, g.i64([2])]);
    const r = g.op('Concat', Array<string>(nq / nkv).fill(u), { axis: int(2) });
    return g.op('Reshape', [r, g.i64([0, nq, -1, dh])]);
  };
  const toHeads = (t: string) => g.op('Transpose', [t], { perm: ints([0, 2, 1, 3]) });

  for (let l = 0; l < c.num_hidden_layers; l++) {
    const p = `model.layers.${l}`;
    const hn = g.rmsNorm(x, `${p}.input_layernorm`, w(`${p}.input_layernorm.weight`), c.rms_norm_eps);
    const proj = (n: string, heads: number) =>
      g.op('Reshape', [
        g.linear(hn, `${p}.self_attn.${n}`, w(`${p}.self_attn.${n}.weight`), heads * dh, h),
        g.i64([0, 0, heads, dh]),
      ]);
    const q = applyRope(
      toHeads(
        g.rmsNorm(
          proj('q_proj', nq),
          `${p}.self_attn.q_norm`,
          w(`${p}.self_attn.q_norm.weight`),
          c.rms_norm_eps,
        ),
      ),
    );
    const k = applyRope(
      toHeads(
        g.rmsNorm(
          proj('k_proj', nkv),
          `${p}.self_attn.k_norm`,
          w(`${p}.self_attn.k_norm.weight`),
          c.rms_norm_eps,
        ),
      ),
    );
    const v = toHeads(proj('v_proj', nkv));
    const kT = g.op('Transpose', [repeatKv(k)], { perm: ints([0, 1, 3, 2]) });
    const scores = g.op('Add', [g.op('Mul', [g.op('MatMul', [q, kT]), g.scalar(1 / Math.sqrt(dh))]), bias]);
    const ctx = g.op('MatMul', [g.op('Softmax', [scores], { axis: int(-1) }), repeatKv(v)]);
    const merged = g.op('Reshape', [toHeads(ctx), g.i64([0, 0, nq * dh])]);
    x = g.op('Add', [
      x,
      g.linear(merged, `${p}.self_attn.o_proj`, w(`${p}.self_attn.o_proj.weight`), h, nq * dh),
    ]);
    const hn2 = g.rmsNorm(
      x,
      `${p}.post_attention_layernorm`,
      w(`${p}.post_attention_layernorm.weight`),
      c.rms_norm_eps,
    );
    const gate = g.silu(
      g.linear(hn2, `${p}.mlp.gate_proj`, w(`${p}.mlp.gate_proj.weight`), c.intermediate_size, h),
    );
    const up = g.linear(hn2, `${p}.mlp.up_proj`, w(`${p}.mlp.up_proj.weight`), c.intermediate_size, h);
    x = g.op('Add', [
      x,
      g.linear(
        g.op('Mul', [gate, up]),
        `${p}.mlp.down_proj`,
        w(`${p}.mlp.down_proj.weight`),
        h,
        c.intermediate_size,
      ),
    ]);
  }
  x = g.rmsNorm(x, 'model.norm', w('model.norm.weight'), c.rms_norm_eps);
  if (lm) {
    const logits = g.linear(x, 'lm_head', w('model.embed_tokens.weight'), c.vocab_size, h);
    g.output(logits, 'logits', DT.FLOAT, ['batch', 'sequence', c.vocab_size]);
  } else g.output(x, 'last_hidden_state', DT.FLOAT, ['batch', 'sequence', h]);
  return g.encode();
}
