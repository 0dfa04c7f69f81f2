/**
 * USE-lite ("KonaTransformer", TF-Hub universal-sentence-encoder-lite) as read from its TF.js graph:
 * the weights, and the hyper-parameters taken from the graph's own constants, after checking that the
 * graph has the structure the forward passes in reference.ts and model.ts implement:
 *
 *   ids (SentencePiece, clipped to the first `maxLength` tokens; padding id -1)
 *   e   = Embeddings[ids]                                         [T, 256]
 *   x0  = e + (e + timing(t))   (the graph adds the embedding twice: "Layer_0/add")
 *   layer 0 (256 -> 512):  h = LN(x0); attn(h) with 4 heads of 64; x1 = Wo·attn + (Wr·x0 + br)
 *                          x2 = x1 + FFN(LN(x1))
 *   layer 1 (512):         x3 = x2 + Wo·attn(LN(x2)) (4 heads of 128); x4 = x3 + FFN(LN(x3))
 *   FFN(h) = W2·relu(W1·h + b1) + b2 (512 -> 1536 -> 512); LN eps and attention scales from the graph
 *   out = l2normalize(tanh(Wt · mean_t(x4) + bt))                                 [512]
 */
import { GraphFormatError, type TfjsGraph } from './graph';

const K = 'module_apply_default/Encoder_en/KonaTransformer';
const TS = `${K}/Encode/TransformerStack`;
const ENC = `${K}/Encode`;
const VAR = 'module/Encoder_en/KonaTransformer/Encode';

export interface UseLiteLayer {
  /** input width (256 for layer 0, 512 for layer 1) and output width */
  readonly dIn: number;
  readonly dModel: number;
  readonly dFf: number;
  readonly heads: number;
  /** q scale, 1/sqrt(head dim), read from the graph */
  readonly qScale: number;
  readonly ln1: { gamma: Float32Array; beta: Float32Array };
  /** [dIn, dIn] each, 'kn' layout, sliced from the fused 1x1-conv qkv kernel */
  readonly wq: Float32Array;
  readonly wk: Float32Array;
  readonly wv: Float32Array;
  readonly bq: Float32Array;
  readonly bk: Float32Array;
  readonly bv: Float32Array;
  /** [dIn, dModel] */
  readonly wo: Float32Array;
  readonly bo: Float32Array;
  /** layer 0 only: the residual branch is projected 256 -> 512 ("AdjustResidualInput/dense") */
  readonly residual: { w: Float32Array; b: Float32Array } | null;
  readonly ln2: { gamma: Float32Array; beta: Float32Array };
  readonly w1: Float32Array;
  readonly b1: Float32Array;
  readonly w2: Float32Array;
  readonly b2: Float32Array;
}

export interface UseLiteWeights {
  readonly vocabRows: number;
  readonly embDim: number;
  /** [vocabRows, embDim] */
  readonly embeddings: Float32Array;
  /** [embDim / 2] inverse timescales of the concat sin/cos timing signal, as stored */
  readonly invTimescales: Float32Array;
  readonly minTimescale: number;
  readonly maxTimescale: number;
  readonly lnEps: number;
  /** tokens at positions >= maxLength are dropped ("ClipToMaxLength") */
  readonly maxLength: number;
  readonly layers: readonly UseLiteLayer[];
  readonly outDim: number;
  /** [outDim, outDim] 'kn' */
  readonly tanhW: Float32Array;
  readonly tanhB: Float32Array;
}

/** columns [c0, c0 + n) of a row-major [rows, cols] matrix */
function columns(w: Float32Array, rows: number, cols: number, c0: number, n: number): Float32Array {
  const out = new Float32Array(rows * n);
  for (let r = 0; r < rows; r++) out.set(w.subarray(r * cols + c0, r * cols + c0 + n), r * n);
  return out;
}

function layer(
  g: TfjsGraph,
  i: number,
  dIn: number,
  dModel: number,
  dFf: number,
  heads: number,
): UseLiteLayer {
  const s = `${TS}/Layer_${i}/TransformerLayer`;
  const e = `${ENC}/Layer_${i}/TransformerLayer`;
  const cc = '/ConcatPartitions/concat';
  const mha = `${s}/MultiheadAttention`;
  // structure: pre-norm attention and FFN, ReLU, residual adds (with a projected residual in layer 0)
  g.node(`${mha}/qkv_transform_single/Conv2D`, 'Conv2D');
  g.node(`${mha}/DotProductAttention/BaseDotProductAttention/Softmax`, 'Softmax');
  g.node(`${s}/FFN/conv1/Relu`, 'Relu');
  const splits = g.tensor(`${mha}/Const`, [3], 'int32').data;
  if (splits[0] !== dIn || splits[1] !== dIn || splits[2] !== dIn) {
    throw new GraphFormatError(
      g.file,
      `layer ${i}: qkv split [${[...splits].join(',')}], expected three of ${dIn}`,
    );
  }
  const headDim = g.scalar(`${mha}/split_heads/split_last_dimension/Reshape/shape/3`, 'int32');
  if (headDim * heads !== dIn)
    throw new GraphFormatError(g.file, `layer ${i}: ${heads} heads of ${headDim} != ${dIn}`);
  const projected = g.hasNode(`${s}/AdjustResidualInput/dense/MatMul`);
  if (projected !== (dIn !== dModel)) {
    throw new GraphFormatError(
      g.file,
      `layer ${i}: residual projection ${projected ? 'present' : 'absent'} for ${dIn} -> ${dModel}`,
    );
  }
  const qkv = g.f32(
    `${VAR}/Layer_${i}/TransformerLayer/MultiheadAttention/qkv_transform_single/kernel/part_0`,
    [1, 1, dIn, 3 * dIn],
  );
  const qkvB = g.f32(`${e}/MultiheadAttention/qkv_transform_single/bias${cc}`, [3 * dIn]);
  return {
    dIn,
    dModel,
    dFf,
    heads,
    qScale: g.scalar(`${mha}/mul/y`),
    ln1: {
      gamma: g.f32(`${e}/layer_prepostprocess/layer_norm/layer_norm_scale${cc}`, [dIn]),
      beta: g.f32(`${e}/layer_prepostprocess/layer_norm/layer_norm_bias${cc}`, [dIn]),
    },
    wq: columns(qkv, dIn, 3 * dIn, 0, dIn),
    wk: columns(qkv, dIn, 3 * dIn, dIn, dIn),
    wv: columns(qkv, dIn, 3 * dIn, 2 * dIn, dIn),
    bq: qkvB.slice(0, dIn),
    bk: qkvB.slice(dIn, 2 * dIn),
    bv: qkvB.slice(2 * dIn),
    wo: g.f32(`${VAR}/Layer_${i}/TransformerLayer/MultiheadAttention/output_transform_single/kernel/part_0`, [
      1,
      1,
      dIn,
      dModel,
    ]),
    bo: g.f32(`${e}/MultiheadAttention/output_transform_single/bias${cc}`, [dModel]),
    residual: projected
      ? { w: g.f32(`${e}/dense/kernel${cc}`, [dIn, dModel]), b: g.f32(`${e}/dense/bias${cc}`, [dModel]) }
      : null,
    ln2: {
      gamma: g.f32(`${e}/FFN/layer_prepostprocess/layer_norm/layer_norm_scale${cc}`, [dModel]),
      beta: g.f32(`${e}/FFN/layer_prepostprocess/layer_norm/layer_norm_bias${cc}`, [dModel]),
    },
    w1: g.f32(`${s}/FFN/conv1/Tensordot/Reshape_1`, [dModel, dFf]),
    b1: g.f32(`${e}/FFN/conv1/bias${cc}`, [dFf]),
    w2: g.f32(`${s}/FFN/conv2/Tensordot/Reshape_1`, [dFf, dModel]),
    b2: g.f32(`${e}/FFN/conv2/bias${cc}`, [dModel]),
  };
}

/** Reads USE-lite's weights and constants from the graph, checking the structure documented above. */
export function readUseLiteWeights(g: TfjsGraph): UseLiteWeights {
  const emb = g.tensor('module/Embeddings_en', [8002, 256]);
  const [vocabRows, embDim] = emb.shape;
  const dModel = 512;
  const dFf = 1536;
  // x0 = embeddings (scattered) + (embeddings + timing signal) (scattered)
  g.node(`${TS}/Layer_0/add`, 'Add', [
    `${ENC}/Scatter/ScatterNd`,
    `${TS}/Layer_0/AddTimingSignal/Scatter/ScatterNd`,
  ]);
  g.node(`${TS}/Layer_0/AddTimingSignal/add`, 'Add', [
    `${TS}/Layer_0/AddTimingSignal/Gather/GatherNd`,
    `${TS}/Layer_0/AddTimingSignal/TimingSignal/concat`,
  ]);
  g.node(`${TS}/Layer_0/AddTimingSignal/TimingSignal/concat`, 'ConcatV2', [
    `${TS}/Layer_0/AddTimingSignal/TimingSignal/Sin`,
    `${TS}/Layer_0/AddTimingSignal/TimingSignal/Cos`,
    `${TS}/Layer_1/TransformerLayer/MultiheadAttention/DotProductAttention/attention_bias_ignore_padding/ExpandDims/dim`,
  ]);
  const inv = g.f32(`${TS}/Layer_0/AddTimingSignal/TimingSignal/ExpandDims_1`, [1, embDim / 2]);
  // tensor2tensor: inv[i] = exp(-i * ln(max/min) / (n - 1)) / min; recover min and max and check every entry
  const n = embDim / 2;
  const minTimescale = 1 / inv[0];
  const maxTimescale = minTimescale / inv[n - 1];
  for (let i = 0; i < n; i++) {
    const want = Math.exp((-i * Math.log(maxTimescale / minTimescale)) / (n - 1)) / minTimescale;
    if (Math.abs(inv[i] - want) > 1e-5 * want) {
      throw new GraphFormatError(
        g.file,
        `timing signal: inverse timescale ${i} is ${inv[i]}, not geometric (${want})`,
      );
    }
  }
  const padding = g.scalar(`${ENC}/SparseToDense/default_value`, 'int32');
  if (padding !== -1)
    throw new GraphFormatError(g.file, `padding id ${padding}, expected -1 (token id 0 is a real token)`);
  g.node(`${K}/div`, 'RealDiv'); // mean over the sequence
  g.node('module_apply_default/Encoder_en/hidden_layers/tanh_layer_0/Tanh', 'Tanh');
  g.node('module_apply_default/Encoder_en/hidden_layers/l2_normalize', 'Mul');
  const lnEps = g.scalar(`${TS}/Layer_1/TransformerLayer/FFN/layer_prepostprocess/layer_norm/Cast/x`);
  const heads = g.scalar(
    `${TS}/Layer_1/TransformerLayer/MultiheadAttention/split_heads/split_last_dimension/Reshape/shape/2`,
    'int32',
  );
  return {
    vocabRows,
    embDim,
    embeddings: emb.data as Float32Array,
    invTimescales: inv,
    minTimescale,
    maxTimescale,
    lnEps,
    maxLength: g.scalar(`${K}/ClipToMaxLength/Less/y`, 'int32'),
    layers: [layer(g, 0, embDim, dModel, dFf, heads), layer(g, 1, dModel, dModel, dFf, heads)],
    outDim: dModel,
    tanhW: g.f32('module/Encoder_en/hidden_layers/tanh_layer_0/weights', [dModel, dModel]),
    tanhB: g.f32('module/Encoder_en/hidden_layers/tanh_layer_0/bias', [dModel]),
  };
}
