import type { Backend, Tensor } from '../core/backend';
import type { Embedder, Role } from '../models/types';
import type { PromptPolicy } from '../prompts/policy';

export type { TrainingPair } from '../data/pairs';

export type TrainMethod = 'lora' | 'adapter';

export interface LoraConfig {
  /** default 16 (the paper) */
  rank: number;
  /** default 32; the update is (alpha / rank) · B·A */
  alpha: number;
  /** dropout on the LoRA input during training, default 0 */
  dropout: number;
  /** module-name patterns; default every linear layer */
  targetModules: readonly string[] | 'all-linear';
}

export interface AdapterConfig {
  /** 'lowrank': e' = e + B·A·e (rank r); 'full': e' = W·e + b initialised to the identity */
  kind: 'lowrank' | 'full';
  rank: number;
}

export interface MiningConfig {
  /** sentence-transformers mine_hard_negatives semantics */
  numNegatives: number;
  rangeMin: number;
  rangeMax: number;
  absoluteMargin: number | null;
  relativeMargin: number | null;
  maxScore: number | null;
  minScore: number | null;
  sampling: 'top' | 'random';
}

export interface TrainConfig {
  method: TrainMethod;
  lora: LoraConfig;
  adapter: AdapterConfig;
  /** AdamW */
  lr: number;
  weightDecay: number;
  beta1: number;
  beta2: number;
  eps: number;
  warmupSteps: number;
  /** total optimiser steps (an epoch count is converted by the caller) */
  steps: number;
  batchSize: number;
  /** hard negatives per query used in the loss (taken from the pair's negatives) */
  hardNegatives: number;
  /** InfoNCE scale (1 / temperature), default 20 */
  scale: number;
  symmetric: boolean;
  /** global-norm clipping; 0 disables */
  maxGradNorm: number;
  seed: number;
  checkpointEvery: number;
  /** dev nDCG@10 every N steps (0: never) */
  devEvery: number;
  /**
   * the queries' instructions (src/prompts/policy.ts): fixed, or GP-n (one drawn per query); absent: none,
   * queries in the base's query template (what every run before prompts did)
   */
  prompts?: PromptPolicy;
}

/** A trainable parameter and its optimiser state, all on one backend. */
export interface TrainParam {
  readonly name: string;
  readonly value: Tensor;
  readonly grad: Tensor;
  readonly m: Tensor;
  readonly v: Tensor;
  /** AdamW weight decay applies (false for biases and norms) */
  readonly decay: boolean;
}

/** The result of a training forward: embeddings [n, dim] (L2-normalised) and its backward. */
export interface TrainForward {
  readonly emb: Tensor;
  /** accumulates d(loss)/d(params) into each TrainParam.grad given d(loss)/d(emb); frees saved activations */
  backward(dEmb: Tensor): void;
  /** frees saved activations without a backward (e.g. evaluation) */
  release(): void;
}

/** A base embedder plus trainable weights (LoRA inside a native model, or an embedding-space adapter). */
export interface TrainableEmbedder {
  readonly base: Embedder;
  readonly method: TrainMethod;
  readonly backend: Backend;
  params(): readonly TrainParam[];
  /** texts are already templated */
  forwardTrain(
    texts: readonly string[],
    role: Role,
    opts: { training: boolean; seed: number },
  ): Promise<TrainForward>;
  /** inference with the trained weights applied (an Embedder usable by evaluate()) */
  asEmbedder(id: string): Embedder;
  /** current trainable weights by name (PEFT names for LoRA) */
  exportWeights(): Promise<Map<string, { shape: number[]; data: Float32Array }>>;
  loadWeights(weights: ReadonlyMap<string, { shape: readonly number[]; data: Float32Array }>): void;
}

export interface TrainProgress {
  step: number;
  totalSteps: number;
  loss: number;
  lr: number;
  gradNorm: number;
  devNdcg10?: number;
  elapsedS: number;
  etaS: number;
}

/** Everything needed to resume a run exactly. */
export interface TrainCheckpoint {
  runId: string;
  step: number;
  config: TrainConfig;
  params: Record<string, Float32Array>;
  m: Record<string, Float32Array>;
  v: Record<string, Float32Array>;
  /** loss/dev history for the plot */
  history: TrainProgress[];
  /** what the run's base model and templates were (the studio refuses a resume under others) */
  inputs?: { base: string; templates: string };
}
