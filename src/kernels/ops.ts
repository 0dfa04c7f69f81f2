/**
 * The op table: every compute method of a Backend, one line each, pointing at the OpDef its kernel module
 * defines. The CPU and WebGPU backends build their methods from it and the WebGPU backend loads the shaders
 * it lists; a new op is one more line here (and its method on the op interface in src/core).
 */
import { tableShaders, type OpTable } from '../core/op';
import type { ShaderRef } from '../core/program';
import { activationOp, swigluOp } from './activation';
import { attentionOp } from './attention';
import { centerColumnsOp } from './center';
import { concatOp } from './concat';
import { addOp, mulOp, scaleOp } from './elementwise';
import { gatherOp } from './gather';
import { gatherMeanPoolOp } from './gather-pool';
import { gramOp } from './gram';
import { attentionBackwardOp } from './grad-attention';
import { linearBackwardOp } from './grad-linear';
import { layerNormBackwardOp, rmsNormBackwardOp } from './grad-norm';
import * as gp from './grad-pointwise';
import { infoNceOp } from './infonce';
import { l2NormalizeOp } from './l2norm';
import { layerNormOp, rmsNormOp } from './layernorm';
import { linearOp } from './linear';
import { matmulOp } from './matmul';
import { maskedMeanPoolOp } from './meanpool';
import { mergeMixOp } from './merge-mix';
import { mergeSparsifyOp } from './merge-sparsify';
import { adamwOp, addInPlaceOp, sumSquaresOp, zeroOp } from './optim';
import { poolOp } from './pool';
import { addPositionalOp } from './positional';
import { ropeOp } from './rope';
import { scoresOp } from './scores';
import { sliceBackwardOp, sliceOp } from './slice';
import { softmaxOp } from './softmax';
import { topKOp } from './topk';

export const OPS: OpTable = {
  // embedding and search
  matmul: matmulOp,
  l2Normalize: l2NormalizeOp,
  maskedMeanPool: maskedMeanPoolOp,
  gather: gatherOp,
  gatherMeanPool: gatherMeanPoolOp,
  scores: scoresOp,
  topK: topKOp,
  // transformer blocks
  linear: linearOp,
  add: addOp,
  mul: mulOp,
  scale: scaleOp,
  layerNorm: layerNormOp,
  rmsNorm: rmsNormOp,
  activation: activationOp,
  swiglu: swigluOp,
  softmax: softmaxOp,
  attention: attentionOp,
  rope: ropeOp,
  concat: concatOp,
  slice: sliceOp,
  addPositional: addPositionalOp,
  pool: poolOp,
  // training: backward passes, loss, optimiser
  linearBackward: linearBackwardOp,
  layerNormBackward: layerNormBackwardOp,
  rmsNormBackward: rmsNormBackwardOp,
  activationBackward: gp.activationBackwardOp,
  swigluBackward: gp.swigluBackwardOp,
  softmaxBackward: gp.softmaxBackwardOp,
  attentionBackward: attentionBackwardOp,
  ropeBackward: gp.ropeBackwardOp,
  sliceBackward: sliceBackwardOp,
  maskedMeanPoolBackward: gp.maskedMeanPoolBackwardOp,
  poolBackward: gp.poolBackwardOp,
  l2NormalizeBackward: gp.l2NormalizeBackwardOp,
  infoNce: infoNceOp,
  sumSquares: sumSquaresOp,
  adamw: adamwOp,
  zero: zeroOp,
  addInPlace: addInPlaceOp,
  // model merging
  mergeMix: mergeMixOp,
  mergeSparsify: mergeSparsifyOp,
  // looking at embeddings (the Explorer's PCA)
  centerColumns: centerColumnsOp,
  gram: gramOp,
};

/** Every WGSL program the ops dispatch (derived from the table): what the WebGPU backend loads. */
export const ALL_SHADERS: readonly ShaderRef[] = tableShaders(OPS);
