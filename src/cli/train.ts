/** `stm train`: pairs -> (mined negatives) -> InfoNCE training -> an expert folder usable by `stm eval --model`. */
import { readFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { loadBeirDir } from '../data/node';
import { acquireBackend } from '../gpu/select';
import { resolveModelNode } from '../experts/resolve-node';
import { MemoryEmbeddingCache } from '../eval/embed-cache';
import { FileEmbeddingCache } from '../eval/embed-cache-node';
import { writeExpertDir } from '../experts/files-node';
import { trainExpert } from '../experts/train-expert';
import { parseTrainingPairs, samplePairs } from '../train/data';
import { defaultMiningConfig, defaultTrainConfig } from '../train/defaults';
import { hasCheckpoint, readCheckpointDir, writeCheckpointDir } from '../train/checkpoint-node';
import type { TrainConfig, TrainingPair } from '../train/types';
import type { TrainArgs } from './args';

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
  const cache = a.cache ? await FileEmbeddingCache.open(a.cache) : new MemoryEmbeddingCache();
  try {
    const negatives = a.negatives;
    if (negatives.kind === 'given') {
      pairs = pairs.filter((p) => (p.negatives?.length ?? 0) >= 1);
      log(`given negatives: ${pairs.length} pairs have at least one`);
    }
    const out =
      a.out ?? join('experts', `${base.id}-${a.method}-${new Date().toISOString().replace(/[:.]/g, '-')}`);
    const every = (steps: number) => Math.max(1, Math.round(steps / 50));
    let lastPhase = '';
    await trainExpert(
      {
        baseModel: a.base,
        pairs,
        mining:
          negatives.kind === 'mined'
            ? {
                config: {
                  ...defaultMiningConfig(),
                  numNegatives: negatives.n,
                  rangeMin: a.mineRange[0],
                  rangeMax: a.mineRange[1],
                  relativeMargin: a.mineMargin,
                },
                corpus: pairs.map((p) => p.positive),
                embedder: base,
                dropShort: true,
                seed: a.seed,
              }
            : null,
        config: (n) => trainConfig(a, n),
        dev: async () =>
          a.dev
            ? { dataset: await loadBeirDir(a.dev), split: a.devSplit, maxQueries: a.devMaxQueries }
            : undefined,
        expert: {
          id: basename(out),
          name: `${base.id} ${a.method} on ${basename(a.train)}`,
          source: a.train,
          negatives:
            negatives.kind === 'mined'
              ? `mined:${negatives.n} range ${a.mineRange.join(':')}${a.mineMargin === null ? '' : ` margin ${a.mineMargin}`}`
              : negatives.kind,
          devMetric: false,
        },
      },
      {
        withBackend: (work) => work(backend),
        loadBase: () => Promise.resolve({ base, templates: base.templates }),
        cache,
        onEmbedProgress: (d, n) => log(`  embedded ${d}/${n} (${el()})`),
        onMiningProgress: (p) => {
          if (p.phase !== lastPhase) log(`mining: ${p.phase} (${el()})`);
          lastPhase = p.phase;
        },
        onMined: (r) =>
          log(
            `mining: mean cos positive ${r.meanPositive.toFixed(3)}, negative ${r.meanNegative.toFixed(3)}; ${r.short} pairs without ${negatives.kind === 'mined' ? negatives.n : 0} negatives dropped`,
          ),
        begin: () => Promise.resolve(basename(out)),
        resume: async (_id, config) => {
          if (!a.resume) return undefined;
          if (!hasCheckpoint(out)) throw new Error(`--resume: no checkpoint in ${out}`);
          const ck = await readCheckpointDir(out);
          if (JSON.stringify(ck.config) !== JSON.stringify(config))
            throw new Error(`--resume: ${out}/checkpoint.json was written with another configuration`);
          log(`resuming ${ck.runId} at step ${ck.step}`);
          return ck;
        },
        onTrainStart: (runId, config) =>
          log(
            `training ${runId}: ${config.steps} steps of ${config.batchSize} pairs, lr ${config.lr}, ${config.hardNegatives} hard negative(s)`,
          ),
        onProgress: (p) => {
          if (p.step % every(p.totalSteps) === 0 || p.step === p.totalSteps || p.devNdcg10 !== undefined) {
            const d = p.devNdcg10 === undefined ? '' : `  dev nDCG@10 ${p.devNdcg10.toFixed(4)}`;
            log(
              `step ${p.step}/${p.totalSteps} loss ${p.loss.toFixed(4)} lr ${p.lr.toExponential(2)} |g| ${p.gradNorm.toFixed(3)} eta ${Number.isFinite(p.etaS) ? `${p.etaS.toFixed(0)}s` : '…'}${d}`,
            );
          }
        },
        onCheckpoint: async (ck) => {
          if (a.checkpointEvery > 0 && ck.step < ck.config.steps) await writeCheckpointDir(out, ck);
        },
        save: async (record, weights) => {
          const files = await writeExpertDir(out, record, weights);
          log(`wrote ${out}: ${files.join(', ')} (${el()})`);
          console.log(out);
        },
      },
    );
  } finally {
    backend.destroy();
  }
}
