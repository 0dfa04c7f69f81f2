/**
 * The worker's training jobs and experts. `train` reads a new run's pairs and hands the run to the
 * studio's one pipeline (src/experts/train-expert.ts) on the active backend: the pairs (with mined hard
 * negatives) are stored with the run, per-step progress events are posted, a checkpoint (params + AdamW
 * state + history) is stored every config.checkpointEvery steps and at the end, and the finished run
 * becomes an expert (recipe + weights). A resume reads the run's stored pairs and latest checkpoint and
 * continues from its step. Experts evaluate as models with id `expert:<id>`.
 */
import type { Dataset } from '../../../data/types';
import { expertEmbedder } from '../../../experts/embedder';
import { EXPERT_PREFIX, expertModelId } from '../../../experts/record';
import { trainExpert, type ExpertSpec } from '../../../experts/train-expert';
import type { Embedder } from '../../../models/types';
import type { StudioDB } from '../../../store/db';
import {
  createTrainRun,
  finishTrainRun,
  getCheckpoint,
  getExpert,
  getTrainPairs,
  getTrainRun,
  newId,
  saveCheckpoint,
  setRunStatus,
} from '../../../store/training';
import type { TrainRunRecord, TrainSpec } from '../../../store/training-types';
import { defaultMiningConfig } from '../../../train/defaults';
import type { TrainingPair } from '../../../train/types';
import type { Backends } from '../../backends';
import type { ModelManager } from '../models/manager';
import type { FeatureEvent, JobPhase } from '../../events';
import type { TrainRequest } from './protocol';
import { readPairsFile } from './data';
import { docText, pairsFromDataset } from '../../../train/data';
import { resolveTemplates } from '../models/templates';

export interface TrainingCtx {
  id: number;
  signal: AbortSignal;
  progress: (phase: JobPhase, done: number, total: number, detail?: string) => void;
  post: (e: FeatureEvent) => void;
}
export interface TrainingHostDeps {
  db(): Promise<StudioDB>;
  models: ModelManager;
  backends: Backends;
  dataset(name: string): Promise<Dataset>;
}

export class Training {
  constructor(private readonly deps: TrainingHostDeps) {}

  /** A new run's pairs (a dataset split or a pairs file) and the corpus its hard negatives are mined from. */
  private async data(
    spec: TrainSpec,
    file: File | undefined,
  ): Promise<{ pairs: TrainingPair[]; corpus: string[] }> {
    if (spec.data.kind === 'dataset') {
      const ds = await this.deps.dataset(spec.data.dataset);
      return { pairs: pairsFromDataset(ds, spec.data.split), corpus: ds.docs.map(docText) };
    }
    const pairs = await readPairsFile(file as File);
    return { pairs, corpus: [...new Set(pairs.flatMap((p) => [p.positive, ...(p.negatives ?? [])]))] };
  }

  /** A new run (its pairs read, hard negatives mined, the run stored) or a resumed one, trained into an expert. */
  async train(req: TrainRequest, ctx: TrainingCtx, db: StudioDB): Promise<TrainRunRecord> {
    let spec: TrainSpec;
    let pairs: TrainingPair[];
    let mining: ExpertSpec['mining'] = null;
    let runId: string | null = null;
    if ('resume' in req) {
      const run = await getTrainRun(req.resume, db);
      if (run.status === 'done') throw new Error(`run "${run.spec.name}" is already finished`);
      pairs = await getTrainPairs(run.id, db);
      await setRunStatus(run.id, 'running', null, db);
      runId = run.id;
      spec = run.spec;
    } else {
      spec = req.spec;
      ctx.progress('read', 0, 1);
      const data = await this.data(spec, req.pairsFile);
      pairs = data.pairs;
      if (spec.mining)
        mining = {
          config: { ...defaultMiningConfig(), numNegatives: spec.mining.negatives },
          corpus: data.corpus,
          embedder: await this.deps.models.embedder(spec.baseModel, ctx.signal),
          dropShort: false,
          seed: spec.config.seed,
        };
    }
    try {
      return await trainExpert(
        {
          baseModel: spec.baseModel,
          pairs,
          mining,
          config: () => spec.config,
          dev: async () =>
            spec.dev
              ? {
                  dataset: await this.deps.dataset(spec.dev.dataset),
                  split: spec.dev.split,
                  maxQueries: spec.dev.maxQueries,
                }
              : undefined,
          expert: {
            id: newId('x'),
            name: spec.name,
            source:
              spec.data.kind === 'dataset' ? `${spec.data.dataset}/${spec.data.split}` : spec.data.fileName,
            devMetric: true,
          },
        },
        {
          withBackend: (work) => this.deps.backends.run(req.backend, ctx.signal, (b) => work(b)),
          loadBase: async () => {
            ctx.progress('load-model', 0, 1, spec.baseModel);
            const base = (await this.deps.models.load(spec.baseModel, ctx.signal)).embedder;
            const templates = resolveTemplates((await this.deps.models.templates(spec.baseModel)).templates);
            return { base, templates };
          },
          signal: ctx.signal,
          onMiningProgress: (p) => ctx.progress('mine', p.done, p.total, p.phase),
          begin: async (final) => {
            if (runId) return runId;
            const now = new Date().toISOString();
            const run: TrainRunRecord = {
              id: newId('train'),
              spec,
              status: 'running',
              createdAt: now,
              updatedAt: now,
              step: 0,
              totalSteps: spec.config.steps,
              pairs: final.length,
              history: [],
              expertId: null,
              error: null,
            };
            await createTrainRun(run, [...final], db);
            return (runId = run.id);
          },
          // a retry after a lost device (and every resume) starts from the latest stored checkpoint
          resume: (id) => getCheckpoint(id, db),
          onTrainStart: (_id, config, resume) => ctx.progress('train', resume?.step ?? 0, config.steps),
          onProgress: (p) =>
            ctx.post({
              type: 'progress',
              id: ctx.id,
              phase: 'train',
              done: p.step,
              total: p.totalSteps,
              train: p,
            }),
          onCheckpoint: async (c) => {
            await saveCheckpoint(c, db);
            ctx.progress('checkpoint', c.step, c.config.steps);
          },
          save: (expert, weights, checkpoint) => {
            ctx.progress('save', 0, 1);
            const rows = [...weights].map(([name, w]) => ({ name, shape: w.shape, data: w.data }));
            return finishTrainRun(checkpoint, expert, rows, db);
          },
        },
      );
    } catch (e) {
      if (runId === null) throw e;
      const aborted = (e as Error)?.name === 'AbortError';
      await setRunStatus(
        runId,
        aborted ? 'cancelled' : 'failed',
        aborted ? null : String((e as Error)?.message ?? e),
        db,
      ).catch(() => undefined);
      throw e;
    }
  }

  /** The embedder of `expert:<id>`: its base model plus its trained weights, with the expert's templates. */
  async expertEmbedder(model: string, signal?: AbortSignal): Promise<Embedder> {
    const id = model.slice(EXPERT_PREFIX.length);
    const { expert, weights } = await getExpert(id, await this.deps.db());
    const base = (await this.deps.models.load(expert.baseModel, signal)).embedder;
    const host = new Map(weights.map((w) => [w.name, { shape: w.shape, data: w.data }]));
    return expertEmbedder(base, expert, host, expertModelId(id));
  }
}
