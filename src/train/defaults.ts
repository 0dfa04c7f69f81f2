import type { MiningConfig, TrainConfig, TrainMethod } from './types';

/** The STM paper's recipe (LoRA r16 / alpha 32 on all linear layers, AdamW, InfoNCE scale 20, 1 hard negative). */
export function defaultTrainConfig(method: TrainMethod): TrainConfig {
  return {
    method,
    lora: { rank: 16, alpha: 32, dropout: 0, targetModules: 'all-linear' },
    adapter: { kind: 'lowrank', rank: 16 },
    lr: method === 'lora' ? 1e-4 : 1e-3,
    weightDecay: 0.01,
    beta1: 0.9,
    beta2: 0.999,
    eps: 1e-8,
    // capped at 10% of the steps by the trainer (effectiveWarmup)
    warmupSteps: 100,
    steps: 1000,
    batchSize: 32,
    hardNegatives: 1,
    scale: 20,
    symmetric: false,
    maxGradNorm: 1,
    seed: 42,
    checkpointEvery: 100,
    devEvery: 0,
  };
}

/** sentence-transformers mine_hard_negatives defaults (one negative, the best-ranked non-positive). */
export function defaultMiningConfig(): MiningConfig {
  return {
    numNegatives: 1,
    rangeMin: 0,
    rangeMax: 50,
    absoluteMargin: null,
    relativeMargin: null,
    maxScore: null,
    minScore: null,
    sampling: 'top',
  };
}
