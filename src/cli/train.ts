/** `stm train`: pairs -> (mined negatives) -> InfoNCE training -> an expert folder usable by `stm eval --model`. */
import { readFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { loadBeirDir } from '../data/node';
import type { Backend } from '../core/backend';
import { acquireBackend } from '../gpu/select';
import { resolveModelNode } from '../experts/resolve-node';
import type { Embedder } from '../models/types';
import { createAdapterTrainable } from '../train/adapter';
import { parseTrainingPairs, samplePairs } from '../train/data';
import { defaultMiningConfig, defaultTrainConfig } from '../train/defaults';
import { cachingEmbedder, type BaseEmbeddingCache } from '../train/embed-cache';
import { loadEmbeddingCacheFile, saveEmbeddingCacheFile } from '../train/embed-cache-node';
import { hasCheckpoint, readCheckpointDir, writeCheckpointDir } from '../train/checkpoint-node';
import { writeExpertDir } from '../train/expert-files-node';
import { mineHardNegatives } from '../train/mining';
import { trainRun } from '../train/trainer';
import type { ExpertRecord, TrainableEmbedder, TrainConfig, TrainingPair } from '../train/types';
import type { TrainArgs } from './args';

async function makeTrainable(
  a: TrainArgs,
  base: Embedder,
  backend: Backend,
  cfg: TrainConfig,
  cache: BaseEmbeddingCache,
): Promise<TrainableEmbedder> {
  if (a.method === 'adapter') return createAdapterTrainable(base, backend, cfg.adapter, cfg.seed, { cache });
  const lora = await import('../train/lora');
  return lora.createLoraTrainable(
    base as Parameters<typeof lora.createLoraTrainable>[0],
    backend,
    cfg.lora,
    cfg.seed,
  );
}

function trainConfig(a: TrainArgs, pairs: number): TrainConfig {
  const cfg = defaultTrainConfig(a.method);
  const perEpoch = Math.floor(pairs / a.batch);
  if (perEpoch < 1) throw new Error(`${pairs} training pairs cannot fill one batch of ${a.batch}`);
  cfg.adapter = { kind: a.adapter, rank: a.rank };
  cfg.lora = { ...cfg.lora, rank: a.rank, alpha: 2 * a.rank };
  cfg.batchSize = a.batch;
  cfg.steps = a.steps ?? Math.max(1, Math.round((a.epochs ?? 1) * perEpoch));
  if (a.lr !== undefined) cfg.lr = a.lr;
  cfg.warmupSteps = a.warmup;
  cfg.seed = a.seed;
  cfg.hardNegatives = a.negatives.kind === 'mined' ? a.negatives.n : a.negatives.kind === 'given' ? 1 : 0;
  cfg.devEvery = a.dev ? a.devEvery : 0;
  cfg.checkpointEvery = a.checkpointEvery;
  return cfg;
}

export async function runTrain(a: TrainArgs, log: (msg: string) => void): Promise<void> {
  const t0 = Date.now();
  const el = () => `${((Date.now() - t0) / 1000).toFixed(0)}s`;
  let pairs: TrainingPair[] = parseTrainingPairs(await readFile(a.train, 'utf8'), a.train);
  const total = pairs.length;
  if (a.maxPairs !== undefined) pairs = samplePairs(pairs, a.maxPairs, a.seed);
  log(`train: ${pairs.length} of ${total} pairs from ${a.train}`);
  const base = await resolveModelNode(a.base, log);
  const backend = await acquireBackend(a.backend);
  log(`backend ${backend.kind}: ${backend.label}; base ${base.id} (${base.dim}-d)`);
  const cache: BaseEmbeddingCache = a.cache ? await loadEmbeddingCacheFile(a.cache) : new Map();
  try {
    const negatives = a.negatives;
    if (negatives.kind === 'mined') {
      const cfg = {
        ...defaultMiningConfig(),
        numNegatives: negatives.n,
        rangeMin: a.mineRange[0],
        rangeMax: a.mineRange[1],
        relativeMargin: a.mineMargin,
      };
      let last = '';
      const embedder = cachingEmbedder(base, cache, {
        chunk: 128,
        onProgress: (d, n) => log(`  embedded ${d}/${n} (${el()})`),
      });
      const r = await mineHardNegatives(
        backend,
        embedder,
        pairs,
        pairs.map((p) => p.positive),
        cfg,
        {
          seed: a.seed,
          onProgress: (p) => {
            if (p.phase !== last) log(`mining: ${p.phase} (${el()})`);
            last = p.phase;
          },
        },
      );
      if (a.cache) await saveEmbeddingCacheFile(a.cache, cache);
      pairs = r.pairs.filter((p) => (p.negatives?.length ?? 0) >= negatives.n);
      log(
        `mining: mean cos positive ${r.meanPositive.toFixed(3)}, negative ${r.meanNegative.toFixed(3)}; ${r.short} pairs without ${negatives.n} negatives dropped`,
      );
    } else if (negatives.kind === 'given') {
      pairs = pairs.filter((p) => (p.negatives?.length ?? 0) >= 1);
      log(`given negatives: ${pairs.length} pairs have at least one`);
    }
    const config = trainConfig(a, pairs.length);
    const trainable = await makeTrainable(a, base, backend, config, cache);
    const dev = a.dev
      ? { dataset: await loadBeirDir(a.dev), split: a.devSplit, maxQueries: a.devMaxQueries }
      : undefined;
    const out =
      a.out ?? join('experts', `${base.id}-${a.method}-${new Date().toISOString().replace(/[:.]/g, '-')}`);
    let resume;
    if (a.resume) {
      if (!hasCheckpoint(out)) throw new Error(`--resume: no checkpoint in ${out}`);
      resume = await readCheckpointDir(out);
      if (JSON.stringify(resume.config) !== JSON.stringify(config))
        throw new Error(`--resume: ${out}/checkpoint.json was written with another configuration`);
      log(`resuming ${resume.runId} at step ${resume.step}`);
    }
    const runId = resume?.runId ?? basename(out);
    log(
      `training ${runId}: ${config.steps} steps of ${config.batchSize} pairs, lr ${config.lr}, ${config.hardNegatives} hard negative(s)`,
    );
    const every = Math.max(1, Math.round(config.steps / 50));
    const { history } = await trainRun({
      runId,
      trainable,
      pairs,
      config,
      templates: base.templates,
      dev,
      resume,
      onCheckpoint: async (ck) => {
        if (a.checkpointEvery > 0 && ck.step < config.steps) await writeCheckpointDir(out, ck);
      },
      onProgress: (p) => {
        if (p.step % every === 0 || p.step === p.totalSteps || p.devNdcg10 !== undefined) {
          const d = p.devNdcg10 === undefined ? '' : `  dev nDCG@10 ${p.devNdcg10.toFixed(4)}`;
          log(
            `step ${p.step}/${p.totalSteps} loss ${p.loss.toFixed(4)} lr ${p.lr.toExponential(2)} |g| ${p.gradNorm.toFixed(3)} eta ${p.etaS.toFixed(0)}s${d}`,
          );
        }
      },
    });
    if (a.cache) await saveEmbeddingCacheFile(a.cache, cache);
    const record: ExpertRecord = {
      id: basename(out),
      name: `${base.id} ${a.method} on ${basename(a.train)}`,
      baseModel: a.base,
      method: a.method,
      config,
      data: {
        source: a.train,
        pairs: pairs.length,
        negatives:
          a.negatives.kind === 'mined'
            ? `mined:${a.negatives.n} range ${a.mineRange.join(':')}${a.mineMargin === null ? '' : ` margin ${a.mineMargin}`}`
            : a.negatives.kind,
      },
      templates: { query: base.templates.query, passage: base.templates.passage },
      createdAt: new Date().toISOString(),
      history,
    };
    const files = await writeExpertDir(out, record, await trainable.exportWeights());
    log(`wrote ${out}: ${files.join(', ')} (${el()})`);
    console.log(out);
  } finally {
    backend.destroy();
  }
}
