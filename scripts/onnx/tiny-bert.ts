/**
 * tiny-bert: a random 2-layer BertModel (HF names), its WordPiece tokenizer and an ONNX export. The builders
 * take the config (and vocabulary) as parameters, so the bench's MiniLM-L6-shaped model uses the same code.
 */
import { GraphBuilder, int, ints, type ExternalSink } from './graph';
import { DT } from './protobuf';
import { Rng } from '../../src/util/rng';
import { WeightSet } from './weights';

export const TINY_BERT_CONFIG = {
  architectures: ['BertModel'],
  model_type: 'bert',
  vocab_size: 0, // filled from the vocabulary below
  hidden_size: 32,
  num_hidden_layers: 2,
  num_attention_heads: 4,
  intermediate_size: 64,
  max_position_embeddings: 64,
  type_vocab_size: 2,
  hidden_act: 'gelu',
  layer_norm_eps: 1e-12,
  hidden_dropout_prob: 0.1,
  attention_probs_dropout_prob: 0.1,
  initializer_range: 0.2,
  pad_token_id: 0,
  position_embedding_type: 'absolute',
  torch_dtype: 'float32',
};

const SPECIALS = ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]'];
const WORDS = (
  'the of and to in is for on with that this it was are be by as at from or an not which ' +
  'patient patients cell cells blood heart disease treatment study effect high low cancer ' +
  'children acid protein flow wing air pressure'
).split(' ');
const SUFFIXES = ['##s', '##ing', '##ed', '##er', '##ly', '##tion', '##al', '##es'];
const LETTERS = 'abcdefghijklmnopqrstuvwxyz'.split('');
const PUNCT = ['.', ',', '?', '!', "'", '-', '(', ')', ':', ';'];
const DIGITS = '0123456789'.split('');

/** [PAD]=0 [UNK]=1 [CLS]=2 [SEP]=3 [MASK]=4, punctuation, digits, letters, ##letters, words, ##suffixes */
export const TINY_BERT_VOCAB: readonly string[] = [
  ...SPECIALS,
  ...PUNCT,
  ...DIGITS,
  ...LETTERS,
  ...LETTERS.map((l) => `##${l}`),
  ...DIGITS.map((d) => `##${d}`),
  ...WORDS,
  ...SUFFIXES,
];

export function tinyBertConfig() {
  return { ...TINY_BERT_CONFIG, vocab_size: TINY_BERT_VOCAB.length };
}

/** a BertModel config of any shape (the tiny one's fields) */
export type BertShape = ReturnType<typeof tinyBertConfig>;

export function tinyBertWeights(seed = 1234, std = 0.2, c: BertShape = tinyBertConfig()): WeightSet {
  const ws = new WeightSet(new Rng(seed), std);
  const h = c.hidden_size;
  const f = c.intermediate_size;
  ws.rand('embeddings.word_embeddings.weight', [c.vocab_size, h]);
  ws.rand('embeddings.position_embeddings.weight', [c.max_position_embeddings, h]);
  ws.rand('embeddings.token_type_embeddings.weight', [c.type_vocab_size, h]);
  ws.scale('embeddings.LayerNorm.weight', h);
  ws.rand('embeddings.LayerNorm.bias', [h]);
  for (let l = 0; l < c.num_hidden_layers; l++) {
    const p = `encoder.layer.${l}`;
    for (const m of ['query', 'key', 'value']) {
      ws.rand(`${p}.attention.self.${m}.weight`, [h, h]);
      ws.rand(`${p}.attention.self.${m}.bias`, [h]);
    }
    ws.rand(`${p}.attention.output.dense.weight`, [h, h]);
    ws.rand(`${p}.attention.output.dense.bias`, [h]);
    ws.scale(`${p}.attention.output.LayerNorm.weight`, h);
    ws.rand(`${p}.attention.output.LayerNorm.bias`, [h]);
    ws.rand(`${p}.intermediate.dense.weight`, [f, h]);
    ws.rand(`${p}.intermediate.dense.bias`, [f]);
    ws.rand(`${p}.output.dense.weight`, [h, f]);
    ws.rand(`${p}.output.dense.bias`, [h]);
    ws.scale(`${p}.output.LayerNorm.weight`, h);
    ws.rand(`${p}.output.LayerNorm.bias`, [h]);
  }
  return ws;
}

/** the WordPiece tokenizer over `tokens` (the first five must be the special tokens, in SPECIALS order) */
export function tinyBertTokenizer(
  tokens: readonly string[] = TINY_BERT_VOCAB,
  maxLength = TINY_BERT_CONFIG.max_position_embeddings,
): { tokenizer: object; config: object } {
  if (SPECIALS.some((t, i) => tokens[i] !== t))
    throw new Error(`the vocabulary must start ${SPECIALS.join(' ')}`);
  const vocab = Object.fromEntries(tokens.map((t, i) => [t, i]));
  const added = SPECIALS.map((content, id) => ({
    id,
    content,
    single_word: false,
    lstrip: false,
    rstrip: false,
    normalized: false,
    special: true,
  }));
  const special = (t: string) => ({ id: t, ids: [vocab[t]], tokens: [t] });
  const tokenizer = {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: added,
    normalizer: {
      type: 'BertNormalizer',
      clean_text: true,
      handle_chinese_chars: true,
      strip_accents: null,
      lowercase: true,
    },
    pre_tokenizer: { type: 'BertPreTokenizer' },
    post_processor: {
      type: 'TemplateProcessing',
      single: [
        { SpecialToken: { id: '[CLS]', type_id: 0 } },
        { Sequence: { id: 'A', type_id: 0 } },
        { SpecialToken: { id: '[SEP]', type_id: 0 } },
      ],
      pair: [
        { SpecialToken: { id: '[CLS]', type_id: 0 } },
        { Sequence: { id: 'A', type_id: 0 } },
        { SpecialToken: { id: '[SEP]', type_id: 0 } },
        { Sequence: { id: 'B', type_id: 1 } },
        { SpecialToken: { id: '[SEP]', type_id: 1 } },
      ],
      special_tokens: { '[CLS]': special('[CLS]'), '[SEP]': special('[SEP]') },
    },
    decoder: { type: 'WordPiece', prefix: '##', cleanup: true },
    model: {
      type: 'WordPiece',
      unk_token: '[UNK]',
      continuing_subword_prefix: '##',
      max_input_chars_per_word: 100,
      vocab,
    },
  };
  const config = {
    tokenizer_class: 'BertTokenizer',
    do_lower_case: true,
    model_max_length: maxLength,
    cls_token: '[CLS]',
    sep_token: '[SEP]',
    pad_token: '[PAD]',
    unk_token: '[UNK]',
    mask_token: '[MASK]',
    clean_up_tokenization_spaces: true,
    tokenize_chinese_chars: true,
    strip_accents: null,
  };
  return { tokenizer, config };
}

/**
 * BertModel.forward(...).last_hidden_state as an ONNX graph (no pooler); with `external`, the large
 * initializers go there (ONNX external data) instead of into the returned bytes.
 */
export function tinyBertOnnx(
  ws: WeightSet,
  c: BertShape = tinyBertConfig(),
  external?: ExternalSink,
  name = 'tiny-bert',
): Uint8Array {
  const h = c.hidden_size;
  const nh = c.num_attention_heads;
  const dh = h / nh;
  const g = new GraphBuilder(name, external);
  const ids = g.input('input_ids', DT.INT64, ['batch', 'sequence']);
  const mask = g.input('attention_mask', DT.INT64, ['batch', 'sequence']);
  const tt = g.input('token_type_ids', DT.INT64, ['batch', 'sequence']);
  const w = (n: string) => ws.get(n);
  const table = (n: string, rows: number) => g.f32(n, w(n), [rows, h]);

  const word = g.op('Gather', [table('embeddings.word_embeddings.weight', c.vocab_size), ids], {
    axis: int(0),
  });
  const tok = g.op('Gather', [table('embeddings.token_type_embeddings.weight', c.type_vocab_size), tt], {
    axis: int(0),
  });
  const pos = g.sliceLeading(
    table('embeddings.position_embeddings.weight', c.max_position_embeddings),
    g.seqLen(ids),
  );
  let x = g.op('Add', [g.op('Add', [word, tok]), pos]);
  x = g.layerNorm(
    x,
    'embeddings.LayerNorm',
    w('embeddings.LayerNorm.weight'),
    w('embeddings.LayerNorm.bias'),
    c.layer_norm_eps,
  );
  const bias = g.paddingBias(mask);
  const heads = g.i64([0, 0, nh, dh]);

  for (let l = 0; l < c.num_hidden_layers; l++) {
    const p = `encoder.layer.${l}`;
    const lin = (n: string, inp: string, o: number, i: number) =>
      g.linear(inp, n, w(`${n}.weight`), o, i, w(`${n}.bias`));
    const split = (n: string) => g.op('Reshape', [lin(`${p}.attention.self.${n}`, x, h, h), heads]);
    const q = g.op('Transpose', [split('query')], { perm: ints([0, 2, 1, 3]) });
    const kT = g.op('Transpose', [split('key')], { perm: ints([0, 2, 3, 1]) });
    const v = g.op('Transpose', [split('value')], { perm: ints([0, 2, 1, 3]) });
    const scores = g.op('Add', [g.op('Div', [g.op('MatMul', [q, kT]), g.scalar(Math.sqrt(dh))]), bias]);
    const ctx = g.op('MatMul', [g.op('Softmax', [scores], { axis: int(-1) }), v]);
    const merged = g.op('Reshape', [
      g.op('Transpose', [ctx], { perm: ints([0, 2, 1, 3]) }),
      g.i64([0, 0, h]),
    ]);
    const attnOut = lin(`${p}.attention.output.dense`, merged, h, h);
    const ln1 = `${p}.attention.output.LayerNorm`;
    x = g.layerNorm(g.op('Add', [attnOut, x]), ln1, w(`${ln1}.weight`), w(`${ln1}.bias`), c.layer_norm_eps);
    const inter = g.gelu(lin(`${p}.intermediate.dense`, x, c.intermediate_size, h));
    const out = lin(`${p}.output.dense`, inter, h, c.intermediate_size);
    const ln2 = `${p}.output.LayerNorm`;
    x = g.layerNorm(g.op('Add', [out, x]), ln2, w(`${ln2}.weight`), w(`${ln2}.bias`), c.layer_norm_eps);
  }
  g.output(x, 'last_hidden_state', DT.FLOAT, ['batch', 'sequence', h]);
  return g.encode();
}
