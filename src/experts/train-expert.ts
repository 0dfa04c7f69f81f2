/**
 * The one training pipeline of the studio, for the CLI and the worker alike: (mine hard negatives) → pick
 * the trainable (LoRA inside a model on the studio kernels, or an embedding-space adapter over any model)
 * → train with checkpoints and exact resume → build the expert. What differs between Node and the browser
 * (the backend, where checkpoints and the expert go, progress, cancel, the embedding cache) comes in `io`.
 */
import type { Backend } from '../core/backend';
import { FINGERPRINT_SCHEME, fingerprintList } from '../data/fingerprint';
import type { Dataset } from '../data/types';
import { cachingEmbedder, type EmbeddingCache } from '../eval/embed-cache';
import type { Embedder, TextTemplates } from '../models/types';
import { createAdapterTrainable } from '../train/adapter';
import { createLoraTrainable } from '../train/lora';
import { mineHardNegatives, type MiningOptions, type MiningResult } from '../train/mining';
import { trainRun } from '../train/trainer';
import type {
  MiningConfig,
  TrainableEmbedder,
  TrainCheckpoint,
  TrainConfig,
  TrainingPair,
  TrainProgress,
} from '../train/types';
import { isLoraBase } from './embedder';
import type { ExpertWeights } from './files';
import type { ExpertRecord, ExpertSynthSource } from './record';

/** The recipe of a run. */
export interface ExpertSpec {
  /** the base model as the expert records it (a model id, folder or hub id) */
  baseModel: string;
  pairs: readonly TrainingPair[];
  /** hard negatives mined before training (none: the pairs' own negatives, or in-batch only) */
  mining: {
    config: MiningConfig;
    /** the passages negatives are drawn from */
    corpus: readonly string[];
    /** the base embedder mining ranks with */
    embedder: Embedder;
    /** drop the pairs that got fewer than config.numNegatives negatives */
    dropShort: boolean;
    seed: number;
  } | null;
  /** the run's configuration for its final number of pairs */
  config: (pairs: number) => TrainConfig;
  /** dev nDCG@10 every config.devEvery steps on this split */
  dev?: () => Promise<{ dataset: Dataset; split: string; maxQueries?: number } | undefined>;
  /** what the expert is called and what its data is said to be */
  expert: {
    id: string;
    name: string;
    source: string;
    /** how its negatives came about (default: from the final pairs and the mining) */
    negatives?: string;
    /** the synthetic set (with its review policy and counts) the pairs came from, if any */
    synth?: ExpertSynthSource;
    /** record the last dev nDCG@10 as metrics['dev ndcg@10'] */
    devMetric: boolean;
  };
}

/** Where the run happens and where its results go. */
export interface ExpertIo<R> {
  /** runs work on a training backend (the worker retries once after a lost device: work must restart cleanly) */
  withBackend<T>(work: (b: Backend) => Promise<T>): Promise<T>;
  /** the base model to train and the templates its texts are put in (loaded on the training backend's turn) */
  loadBase(): Promise<{ base: Embedder; templates: TextTemplates }>;
  signal?: AbortSignal;
  /** shared by mining and an adapter's frozen base embeddings (flushed after mining and after training) */
  cache?: EmbeddingCache;
  onEmbedProgress?: (done: number, total: number) => void;
  onMiningProgress?: MiningOptions['onProgress'];
  onMined?(r: MiningResult, kept: readonly TrainingPair[]): void;
  /** the final pairs and config are known: the run starts (or continues); returns the run id */
  begin(pairs: readonly TrainingPair[], config: TrainConfig): Promise<string>;
  /** the checkpoint to continue from (read again when the work is retried) */
  resume?(runId: string, config: TrainConfig): Promise<TrainCheckpoint | undefined>;
  onTrainStart?(runId: string, config: TrainConfig, resume: TrainCheckpoint | undefined): void;
  onProgress?(p: TrainProgress): void;
  onCheckpoint?(c: TrainCheckpoint): Promise<void>;
  /** stores the finished expert (the final checkpoint beside it) */
  save(record: ExpertRecord, weights: ExpertWeights, checkpoint: TrainCheckpoint): Promise<R>;
}

/** The trainable a config asks for over `base`. */
export function pickTrainable(
  base: Embedder,
  baseModel: string,
  backend: Backend,
  config: TrainConfig,
  cache?: EmbeddingCache,
): TrainableEmbedder {
  if (config.method === 'lora') {
    if (!isLoraBase(base))
      throw new Error(
        `LoRA training needs a model on the studio kernels (USE-lite or an imported Hugging Face model); use an adapter for "${baseModel}"`,
      );
    return createLoraTrainable(base, backend, config.lora, config.seed);
  }
  return createAdapterTrainable(base, backend, config.adapter, config.seed, { cache });
}

async function minePairs<R>(spec: ExpertSpec, io: ExpertIo<R>): Promise<readonly TrainingPair[]> {
  const mining = spec.mining;
  if (!mining) return spec.pairs;
  const embedder = io.cache
    ? cachingEmbedder(mining.embedder, io.cache, { chunk: 128, onProgress: io.onEmbedProgress })
    : mining.embedder;
  const r = await io.withBackend((b) =>
    mineHardNegatives(b, embedder, spec.pairs, mining.corpus, mining.config, {
      seed: mining.seed,
      signal: io.signal,
      onProgress: io.onMiningProgress,
    }),
  );
  await io.cache?.flush?.();
  const n = mining.config.numNegatives;
  const kept = mining.dropShort ? r.pairs.filter((p) => (p.negatives?.length ?? 0) >= n) : r.pairs;
  io.onMined?.(r, kept);
  return kept;
}

function expertRecord(
  spec: ExpertSpec,
  config: TrainConfig,
  pairs: readonly TrainingPair[],
  templates: TextTemplates,
  history: TrainProgress[],
): ExpertRecord {
  const withNeg = pairs.some((p) => (p.negatives?.length ?? 0) > 0);
  const negatives =
    spec.expert.negatives ??
    (spec.mining ? `${spec.mining.config.numNegatives} mined` : withNeg ? 'from file' : 'in-batch only');
  const dev10 = [...history].reverse().find((h) => h.devNdcg10 !== undefined)?.devNdcg10;
  return {
    id: spec.expert.id,
    name: spec.expert.name,
    baseModel: spec.baseModel,
    method: config.method,
    config,
    data: {
      source: spec.expert.source,
      pairs: pairs.length,
      negatives,
      ...(spec.expert.synth ? { synth: spec.expert.synth } : {}),
    },
    templates: { query: templates.query, passage: templates.passage },
    createdAt: new Date().toISOString(),
    history,
    fingerprints: {
      scheme: FINGERPRINT_SCHEME,
      queries: fingerprintList(pairs.map((p) => p.query)),
      positives: fingerprintList(pairs.map((p) => p.positive)),
    },
    ...(spec.expert.devMetric && dev10 !== undefined ? { metrics: { 'dev ndcg@10': dev10 } } : {}),
    ...(config.prompts && config.prompts.kind !== 'none' ? { prompts: config.prompts } : {}),
  };
}

/** Mines, trains and builds an expert; returns what io.save made of it. */
export async function trainExpert<R>(spec: ExpertSpec, io: ExpertIo<R>): Promise<R> {
  const pairs = await minePairs(spec, io);
  const config = spec.config(pairs.length);
  const id = await io.begin(pairs, config);
  return io.withBackend(async (backend) => {
    const { base, templates } = await io.loadBase();
    const trainable = pickTrainable(base, spec.baseModel, backend, config, io.cache);
    try {
      const resume = await io.resume?.(id, config);
      const runId = resume?.runId ?? id;
      const dev = await spec.dev?.();
      io.onTrainStart?.(runId, config, resume);
      const { history, checkpoint } = await trainRun({
        runId,
        trainable,
        pairs,
        config,
        templates,
        dev,
        resume,
        signal: io.signal,
        onProgress: (p) => io.onProgress?.(p),
        onCheckpoint: (c) => io.onCheckpoint?.(c),
      });
      await io.cache?.flush?.();
      const weights = await trainable.exportWeights();
      return await io.save(expertRecord(spec, config, pairs, templates, history), weights, checkpoint);
    } finally {
      (trainable as { dispose?: () => void }).dispose?.();
    }
  });
}
