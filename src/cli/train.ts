/** `stm train`: pairs -> (mined negatives) -> InfoNCE training -> an expert folder usable by `stm eval --model`. */
import { existsSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { loadBeirDir } from '../data/node';
import { isTestSplitName } from '../data/split';
import { resolveModelNode } from '../experts/resolve-node';
import { MemoryEmbeddingCache } from '../eval/embed-cache';
import { FileEmbeddingCache } from '../eval/embed-cache-node';
import { writeExpertDir } from '../experts/files-node';
import { isLoraBase } from '../experts/embedder';
import { trainExpert } from '../experts/train-expert';
import { DEFAULT_LORA, loraTargetNotes, loraTargets } from '../train/lora';
import { docText, pairsFromDataset, parseTrainingPairsFile, samplePairs } from '../train/data';
import { runInputs } from '../train/run-inputs-node';
import { defaultMiningConfig, defaultTrainConfig } from '../train/defaults';
import { hasCheckpoint, readCheckpointDir, writeCheckpointDir } from '../train/checkpoint-node';
import type { TrainConfig, TrainingPair } from '../train/types';
import { policyFromArg } from '../prompts/policy-file';
import { policyLabel, type PromptPolicy } from '../prompts/policy';
import { queryPrompt } from '../prompts/template';
import type { TrainArgs } from './args';
import { cliBackend } from './backend';
import type { Reporter } from './progress';
import { checkWritableDir, writeFailed } from './writable';

const isDir = (p: string) => existsSync(p) && statSync(p).isDirectory();

function trainConfig(a: TrainArgs, pairs: number, prompts: PromptPolicy | undefined): TrainConfig {
  const cfg = defaultTrainConfig(a.method);
  const perEpoch = Math.floor(pairs / a.batch);
  if (perEpoch < 1) throw new Error(`${pairs} training pairs cannot fill one batch of ${a.batch}`);
  cfg.adapter = { kind: a.adapter, rank: a.rank };
  cfg.lora = { ...cfg.lora, rank: a.rank, alpha: 2 * a.rank, targetModules: a.loraTargets };
  cfg.batchSize = a.batch;
  cfg.steps = a.steps ?? Math.max(1, Math.round((a.epochs ?? 1) * perEpoch));
  if (a.lr !== undefined) cfg.lr = a.lr;
  cfg.warmupSteps = a.warmup;
  cfg.seed = a.seed;
  cfg.hardNegatives = a.negatives.kind === 'mined' ? a.negatives.n : a.negatives.kind === 'given' ? 1 : 0;
  cfg.devEvery = a.dev ? a.devEvery : 0;
  cfg.checkpointEvery = a.checkpointEvery;
  if (prompts) cfg.prompts = prompts;
  return cfg;
}

export async function runTrain(a: TrainArgs, report: Pick<Reporter, 'log' | 'progress'>): Promise<void> {
  const log = report.log;
  const t0 = Date.now();
  const el = () => `${((Date.now() - t0) / 1000).toFixed(0)}s`;
  // a BEIR folder: its split's judged queries x relevant docs, negatives mined from its corpus
  const beir = isDir(a.train) ? await loadBeirDir(a.train) : null;
  const source = beir ? `${a.train}#${a.trainSplit}` : a.train;
  const pairsBytes = beir ? null : await readFile(a.train);
  let pairs: TrainingPair[] = beir
    ? pairsFromDataset(beir, a.trainSplit)
    : parseTrainingPairsFile(pairsBytes!, a.train);
  const total = pairs.length;
  if (a.maxPairs !== undefined) pairs = samplePairs(pairs, a.maxPairs, a.seed);
  log(`train: ${pairs.length} of ${total} pairs from ${source}`);
  if (beir && isTestSplitName(a.trainSplit))
    log(
      `warning: training on split "${a.trainSplit}": an evaluation on it will count these queries as trained on (overlap_queries); split them first with \`stm split\``,
    );
  const base = await resolveModelNode(a.base, log, { forTraining: true });
  // the queries' instructions: in the given format, else where the base puts its own (the paper's around a plain one)
  const prompts = await policyFromArg(a.prompts, a.promptFormat ?? queryPrompt(base).format, (f) =>
    readFile(f, 'utf8'),
  );
  if (prompts) log(`query prompts: ${policyLabel(prompts)} in "${prompts.format.replace(/\n/g, '\\n')}"`);
  const out =
    a.out ?? join('experts', `${base.id}-${a.method}-${new Date().toISOString().replace(/[:.]/g, '-')}`);
  // the expert folder must be writable before the (long) training, not after it
  await checkWritableDir('--out', out);
  const backend = await cliBackend(a.backend, log);
  log(`base ${base.id} (${base.dim}-d)`);
  if (a.method === 'lora' && isLoraBase(base)) {
    // a pattern that adapts nothing fails now, before mining; slices of fused linears are said
    const lora = { ...DEFAULT_LORA, targetModules: a.loraTargets };
    const targets = loraTargets(base, lora);
    log(
      `LoRA on ${targets.length} linears (${a.loraTargets === 'all-linear' ? 'all-linear' : a.loraTargets.join(', ')})`,
    );
    for (const n of loraTargetNotes(base, lora)) log(n);
  }
  // what a checkpoint of this run records, and a resume must find again
  const inputs =
    a.checkpointEvery > 0 || a.resume
      ? await runInputs(
          source,
          pairsBytes ?? new TextEncoder().encode(JSON.stringify(pairs)),
          pairs,
          a.base,
          base.templates,
          prompts,
        )
      : undefined;
  const cache = a.cache ? await FileEmbeddingCache.open(a.cache) : new MemoryEmbeddingCache();
  try {
    const negatives = a.negatives;
    if (negatives.kind === 'given') {
      pairs = pairs.filter((p) => (p.negatives?.length ?? 0) >= 1);
      log(`given negatives: ${pairs.length} pairs have at least one`);
    }
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
                corpus: beir ? beir.docs.map(docText) : pairs.map((p) => p.positive),
                embedder: base,
                dropShort: true,
                seed: a.seed,
              }
            : null,
        config: (n) => trainConfig(a, n, prompts),
        dev: async () =>
          a.dev
            ? { dataset: await loadBeirDir(a.dev), split: a.devSplit, maxQueries: a.devMaxQueries }
            : undefined,
        expert: {
          id: basename(out),
          name: `${base.id} ${a.method} on ${beir ? `${basename(a.train)}/${a.trainSplit}` : basename(a.train)}`,
          source,
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
        onEmbedProgress: (d, n) => report.progress('embed', d, n),
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
          const ck = await readCheckpointDir(out, inputs);
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
          const detail = `loss ${p.loss.toFixed(4)} lr ${p.lr.toExponential(2)} |g| ${p.gradNorm.toFixed(3)}`;
          report.progress('step', p.step, p.totalSteps, {
            etaS: Number.isFinite(p.etaS) ? p.etaS : undefined,
            detail,
          });
          if (p.devNdcg10 !== undefined)
            log(`step ${p.step}/${p.totalSteps} dev nDCG@10 ${p.devNdcg10.toFixed(4)}`);
        },
        onCheckpoint: async (ck) => {
          if (a.checkpointEvery > 0 && ck.step < ck.config.steps) await writeCheckpointDir(out, ck, inputs);
        },
        save: async (record, weights) => {
          let files: string[];
          try {
            files = await writeExpertDir(out, record, weights);
          } catch (e) {
            throw writeFailed('the expert folder', out, e);
          }
          log(`wrote ${out}: ${files.join(', ')} (${el()})`);
          console.log(out);
        },
      },
    );
  } finally {
    backend.destroy();
  }
}
