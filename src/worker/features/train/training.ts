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
import { EXPERT_PREFIX, expertModelId, type ExpertSynthSource } from '../../../experts/record';
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
import type { TrainCheckpoint, TrainingPair } from '../../../train/types';
import type { Backends } from '../../backends';
import type { ModelManager } from '../models/manager';
import type { FeatureEvent, JobPhase } from '../../events';
import type { TrainRequest } from './protocol';
import { readPairsFile } from './data';
import { docText, pairsFromDataset } from '../../../train/data';
import { resolveTemplates } from '../models/templates';
import { sourceName, synthData, synthNegatives } from './synth-data';

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

  /**
   * A new run's pairs (a dataset split, a pairs file, or a synthetic set's reviewed items) and the corpus
   * its hard negatives are mined from.
   */
  private async data(
    spec: TrainSpec,
    file: File | undefined,
    db: StudioDB,
  ): Promise<{ pairs: TrainingPair[]; corpus: string[]; synth?: ExpertSynthSource }> {
    if (spec.data.kind === 'dataset') {
      const ds = await this.deps.dataset(spec.data.dataset);
      return { pairs: pairsFromDataset(ds, spec.data.split), corpus: ds.docs.map(docText) };
    }
    if (spec.data.kind === 'synth') return synthData(spec.data, db, (n) => this.deps.dataset(n));
    const pairs = await readPairsFile(file as File);
    return { pairs, corpus: [...new Set(pairs.flatMap((p) => [p.positive, ...(p.negatives ?? [])]))] };
  }

  /** A new run (its pairs read, hard negatives mined, the run stored) or a resumed one, trained into an expert. */
  async train(req: TrainRequest, ctx: TrainingCtx, db: StudioDB): Promise<TrainRunRecord> {
    let spec: TrainSpec;
    let pairs: TrainingPair[];
    let mining: ExpertSpec['mining'] = null;
    let runId: string | null = null;
    let synth: ExpertSynthSource | undefined;
    // the base model and templates this run trains under (a checkpoint records them; a resume compares)
    let inputs: TrainCheckpoint['inputs'];
    if ('resume' in req) {
      const run = await getTrainRun(req.resume, db);
      if (run.status === 'done') throw new Error(`run "${run.spec.name}" is already finished`);
      pairs = await getTrainPairs(run.id, db);
      await setRunStatus(run.id, 'running', null, db);
      runId = run.id;
      spec = run.spec;
      synth = run.synth;
    } else {
      spec = req.spec;
      ctx.progress('read', 0, 1);
      const data = await this.data(spec, req.pairsFile, db);
      pairs = data.pairs;
      synth = data.synth;
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
            source: sourceName(spec, synth),
            devMetric: true,
            ...(synth ? { synth, negatives: synthNegatives(pairs, spec) } : {}),
          },
        },
        {
          withBackend: (work) => this.deps.backends.run(req.backend, ctx.signal, (b) => work(b)),
          loadBase: async () => {
            ctx.progress('load-model', 0, 1, spec.baseModel);
            const loaded = await this.deps.models.load(spec.baseModel, ctx.signal);
            const templates = resolveTemplates((await this.deps.models.templates(spec.baseModel)).templates);
            inputs = {
              // shape and parameter count, not the execution provider or the bytes read (a cached load reads fewer)
              base: JSON.stringify({
                id: spec.baseModel,
                dim: loaded.details.dim,
                parameters: loaded.details.parameters,
                layers: loaded.details.layers,
                vocab: loaded.details.vocab,
              }),
              templates: JSON.stringify({ query: templates.query, passage: templates.passage }),
            };
            return { base: loaded.embedder, templates };
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
              ...(synth ? { synth, negatives: synthNegatives(pairs, spec) } : {}),
            };
            await createTrainRun(run, [...final], db);
            return (runId = run.id);
          },
          // a retry after a lost device (and every resume) starts from the latest stored checkpoint
          resume: async (id) => {
            const ck = await getCheckpoint(id, db);
            if (ck?.inputs && inputs) checkResumeInputs(spec, ck.inputs, inputs);
            return ck;
          },
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
            await saveCheckpoint(inputs ? { ...c, inputs } : c, db);
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
    // a base is a model the studio holds (built in or imported), never another expert, and never fetched here
    if (expert.baseModel.startsWith(EXPERT_PREFIX))
      throw new Error(
        `expert "${expert.name}": its base model "${expert.baseModel}" is ${expert.baseModel === model ? 'the expert itself' : 'another expert'}; an expert over an expert is not supported: its base must be a model (built in or imported in the Models tab)`,
      );
    const base = await this.deps.models.load(expert.baseModel, signal).then(
      (l) => l.embedder,
      (e: Error) => {
        if (e.name !== 'ModelNotFoundError') throw e;
        throw new Error(
          `expert "${expert.name}": its base model "${expert.baseModel}" is not in the studio: import it in the Models tab first (a hub id or URL is downloaded only when you import it there)`,
        );
      },
    );
    const host = new Map(weights.map((w) => [w.name, { shape: w.shape, data: w.data }]));
    return expertEmbedder(base, expert, host, expertModelId(id));
  }
}

/** A resume under another base model or other templates than the checkpoint's would train a mixture: refused. */
function checkResumeInputs(
  spec: TrainSpec,
  had: NonNullable<TrainCheckpoint['inputs']>,
  now: NonNullable<TrainCheckpoint['inputs']>,
): void {
  const redo = 'start a new run instead (or restore what the run started with)';
  if (had.base !== now.base)
    throw new Error(
      `run "${spec.name}": its base model "${spec.baseModel}" is not the one the run started with (re-imported or changed since): ${redo}`,
    );
  if (had.templates !== now.templates) {
    const t = JSON.parse(had.templates) as { query: string; passage: string };
    throw new Error(
      `run "${spec.name}": the templates of "${spec.baseModel}" changed since the run started (it trained with query ${JSON.stringify(t.query)}, passage ${JSON.stringify(t.passage)}): set them back in the Models tab, or ${redo}`,
    );
  }
}
