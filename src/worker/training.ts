/**
 * The worker's training jobs and experts. `train` builds the trainable (an embedding-space adapter for
 * any model, LoRA for USE-lite) on the active backend, runs trainRun with per-step progress events,
 * stores a checkpoint (params + AdamW state + history) every config.checkpointEvery steps and at the end,
 * and turns the finished run into an expert (recipe + weights). A resume reads the run's stored pairs and
 * latest checkpoint and continues from its step. Experts evaluate as models with id `expert:<id>`.
 */
import type { Backend } from '../core/backend';
import type { Dataset } from '../data/types';
import { HfEmbedder } from '../models/hf/embedder';
import { UseLiteEmbedder } from '../models/use-lite/model';
import type { Embedder } from '../models/types';
import type { StudioDB } from '../store/db';
import {
  createTrainRun,
  deleteExpert,
  deleteTrainRun,
  EXPERT_PREFIX,
  expertModelId,
  finishTrainRun,
  getCheckpoint,
  getExpert,
  getTrainPairs,
  getTrainRun,
  listExperts,
  listTrainRuns,
  newId,
  saveCheckpoint,
  setRunStatus,
  updateExpert,
} from '../store/training';
import type { TrainRunRecord, TrainSpec } from '../store/training-types';
import { adapterEmbedder, createAdapterTrainable } from '../train/adapter';
import { defaultMiningConfig } from '../train/defaults';
import { createLoraTrainable, loadLoraExpert, type LoraBase } from '../train/lora';
import { mineHardNegatives } from '../train/mining';
import { trainRun } from '../train/trainer';
import type { ExpertRecord, TrainableEmbedder, TrainingPair } from '../train/types';
import type { Backends } from './backends';
import { exportExpertFiles, importExpertFiles } from './expert-io';
import type { ModelManager } from './models';
import type { BackendPref, JobPhase, WorkerEvent } from './protocol';
import type { TrainingRequestMap, TrainingRequestType, TrainRequest } from './protocol-training';
import { docText, pairsFromDataset, readPairsFile } from './train-data';
import { resolveTemplates } from './templates';

export interface TrainingCtx {
  id: number;
  signal: AbortSignal;
  progress: (phase: JobPhase, done: number, total: number, detail?: string) => void;
  post: (e: WorkerEvent) => void;
}
export interface TrainingHostDeps {
  db(): Promise<StudioDB>;
  models: ModelManager;
  backends: Backends;
  dataset(name: string): Promise<Dataset>;
}
const isLoraBase = (e: Embedder): e is LoraBase => e instanceof UseLiteEmbedder || e instanceof HfEmbedder;
type Req = { [K in TrainingRequestType]: { type: K } & TrainingRequestMap[K][0] }[TrainingRequestType];

export class Training {
  constructor(private readonly deps: TrainingHostDeps) {}

  async handle(req: Req, ctx: TrainingCtx): Promise<TrainingRequestMap[TrainingRequestType][1]> {
    const db = await this.deps.db();
    switch (req.type) {
      case 'train':
        return this.train(req, ctx, db);
      case 'list-train-runs':
        return listTrainRuns(db);
      case 'delete-train-run':
        await deleteTrainRun(req.runId, db);
        return null;
      case 'list-experts':
        return listExperts(db);
      case 'rename-expert':
        return updateExpert(req.expert, { name: req.name.trim() }, db);
      case 'delete-expert':
        await deleteExpert(req.expert, db);
        return null;
      case 'export-expert':
        return exportExpertFiles(await getExpert(req.expert, db));
      case 'import-expert':
        return importExpertFiles(req.files, req.name, db);
    }
  }

  /** The pairs of a new run: a dataset split or a pairs file, with mined hard negatives when asked. */
  private async pairs(
    spec: TrainSpec,
    file: File | undefined,
    pref: BackendPref,
    ctx: TrainingCtx,
  ): Promise<TrainingPair[]> {
    ctx.progress('read', 0, 1);
    let corpus: string[];
    let pairs: TrainingPair[];
    if (spec.data.kind === 'dataset') {
      const ds = await this.deps.dataset(spec.data.dataset);
      pairs = pairsFromDataset(ds, spec.data.split);
      corpus = ds.docs.map(docText);
    } else {
      pairs = await readPairsFile(file as File);
      corpus = [...new Set(pairs.flatMap((p) => [p.positive, ...(p.negatives ?? [])]))];
    }
    const mining = spec.mining;
    if (!mining) return pairs;
    const base = await this.deps.models.embedder(spec.baseModel, ctx.signal);
    return this.deps.backends.run(pref, ctx.signal, async (b) => {
      const cfg = { ...defaultMiningConfig(), numNegatives: mining.negatives };
      const r = await mineHardNegatives(b, base, pairs, corpus, cfg, {
        seed: spec.config.seed,
        signal: ctx.signal,
        onProgress: (p) => ctx.progress('mine', p.done, p.total, p.phase),
      });
      return r.pairs;
    });
  }

  private async train(req: TrainRequest, ctx: TrainingCtx, db: StudioDB): Promise<TrainRunRecord> {
    let run: TrainRunRecord;
    let pairs: TrainingPair[];
    if ('resume' in req) {
      run = await getTrainRun(req.resume, db);
      if (run.status === 'done') throw new Error(`run "${run.spec.name}" is already finished`);
      pairs = await getTrainPairs(run.id, db);
      run = await setRunStatus(run.id, 'running', null, db);
    } else {
      pairs = await this.pairs(req.spec, req.pairsFile, req.backend, ctx);
      const now = new Date().toISOString();
      run = {
        id: newId('train'),
        spec: req.spec,
        status: 'running',
        createdAt: now,
        updatedAt: now,
        step: 0,
        totalSteps: req.spec.config.steps,
        pairs: pairs.length,
        history: [],
        expertId: null,
        error: null,
      };
      await createTrainRun(run, pairs, db);
    }
    const runId = run.id;
    const spec = run.spec;
    try {
      return await this.deps.backends.run(req.backend, ctx.signal, (b) =>
        this.trainOn(b, runId, spec, pairs, ctx, db),
      );
    } catch (e) {
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

  private async trainOn(
    backend: Backend,
    runId: string,
    spec: TrainSpec,
    pairs: TrainingPair[],
    ctx: TrainingCtx,
    db: StudioDB,
  ): Promise<TrainRunRecord> {
    ctx.progress('load-model', 0, 1, spec.baseModel);
    const loaded = (await this.deps.models.load(spec.baseModel, ctx.signal)).embedder;
    const templates = resolveTemplates((await this.deps.models.templates(spec.baseModel)).templates);
    const base: Embedder = loaded;
    let trainable: TrainableEmbedder;
    if (spec.config.method === 'lora') {
      if (!isLoraBase(loaded))
        throw new Error(
          `LoRA training needs a model on the studio kernels (USE-lite or an imported Hugging Face model); use an adapter for "${spec.baseModel}"`,
        );
      trainable = createLoraTrainable(loaded, backend, spec.config.lora, spec.config.seed);
    } else trainable = createAdapterTrainable(base, backend, spec.config.adapter, spec.config.seed);
    // a retry after a lost device (and every resume) starts from the latest stored checkpoint
    const resume = await getCheckpoint(runId, db);
    const dev = spec.dev
      ? {
          dataset: await this.deps.dataset(spec.dev.dataset),
          split: spec.dev.split,
          maxQueries: spec.dev.maxQueries,
        }
      : undefined;
    ctx.progress('train', resume?.step ?? 0, spec.config.steps);
    try {
      const { history, checkpoint } = await trainRun({
        runId,
        trainable,
        pairs,
        config: spec.config,
        templates,
        dev,
        resume,
        signal: ctx.signal,
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
      });
      ctx.progress('save', 0, 1);
      const weights = [...(await trainable.exportWeights())].map(([name, w]) => ({
        name,
        shape: w.shape,
        data: w.data,
      }));
      const dev10 = [...history].reverse().find((h) => h.devNdcg10 !== undefined)?.devNdcg10;
      const data =
        spec.data.kind === 'dataset' ? `${spec.data.dataset}/${spec.data.split}` : spec.data.fileName;
      const withNeg = pairs.some((p) => (p.negatives?.length ?? 0) > 0);
      const expert: ExpertRecord = {
        id: newId('x'),
        name: spec.name,
        baseModel: spec.baseModel,
        method: spec.config.method,
        config: spec.config,
        data: {
          source: data,
          pairs: pairs.length,
          negatives: spec.mining ? `${spec.mining.negatives} mined` : withNeg ? 'from file' : 'in-batch only',
        },
        templates: { query: templates.query, passage: templates.passage },
        createdAt: new Date().toISOString(),
        history: checkpoint.history,
        ...(dev10 !== undefined ? { metrics: { 'dev ndcg@10': dev10 } } : {}),
      };
      return await finishTrainRun(checkpoint, expert, weights, db);
    } finally {
      (trainable as { dispose?: () => void }).dispose?.();
    }
  }

  /** The embedder of `expert:<id>`: its base model plus its trained weights, with the expert's templates. */
  async expertEmbedder(model: string, signal?: AbortSignal): Promise<Embedder> {
    const id = model.slice(EXPERT_PREFIX.length);
    const { expert, weights } = await getExpert(id, await this.deps.db());
    const base = (await this.deps.models.load(expert.baseModel, signal)).embedder;
    const host = new Map(weights.map((w) => [w.name, { shape: w.shape, data: w.data }]));
    let e: Embedder;
    if (expert.method === 'lora') {
      if (!isLoraBase(base))
        throw new Error(
          `expert "${expert.name}": LoRA needs USE-lite or a Hugging Face model on the studio kernels, got "${expert.baseModel}"`,
        );
      e = loadLoraExpert(base, host, expert.config.lora, expertModelId(id));
    } else e = adapterEmbedder(base, expert.config.adapter, { host }, expertModelId(id));
    return { id: e.id, dim: e.dim, templates: expert.templates, embed: (b, t, r) => e.embed(b, t, r) };
  }
}
