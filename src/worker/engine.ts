/**
 * The engine behind the worker: owns the compute backend, runs one long job at a time (each with
 * its AbortController), persists through src/store, and answers every request with events.
 * It has no `self`: engine.worker.ts wires it to the worker scope, tests wire it in-process.
 */
import type { Dataset } from '../data/types';
import type { EvaluateOptions, Retriever } from '../eval/evaluate';
import type { EvalReport, Run } from '../eval/types';
import type { Backend } from '../core/backend';
import type { AssetFetcher } from '../models/registry';
import type { Embedder, ModelInfo } from '../models/types';
import type { StudioDB } from '../store/db';
import { deleteDataset, listDatasets, loadDataset, saveDataset } from '../store/datasets';
import { IdbEmbeddingCache } from '../store/embeddings';
import { deleteRun, getRun, listRuns, saveRun } from '../store/runs';
import { Backends } from './backends';
import { queryDetails } from './drilldown';
import { importFolder, importHub } from './model-import';
import { ModelManager, type HubOptions } from './models';
import { similarity } from './similarity';
import { QUEUED_TRAINING, TRAINING_REQUEST_TYPES, type TrainingRequestType } from './protocol-training';
import { Training } from './training';
import { EXPERT_PREFIX } from '../experts/record';
import {
  parseRequest,
  toErrorEvent,
  type BackendPref,
  type EvaluateRequest,
  type ImportModelRequest,
  type ModelEntry,
  type SimilarityRequest,
  type SimilarityResult,
  type JobPhase,
  type Request,
  type RequestType,
  type ResultOf,
  type WorkerEvent,
} from './protocol';

export interface EngineDeps {
  db(): Promise<StudioDB>;
  acquireBackend(pref: BackendPref): Promise<Backend>;
  evaluate(opts: EvaluateOptions): Promise<{ report: EvalReport; run: Run }>;
  loadDemo(): Promise<Dataset>;
  datasetFromFiles(
    files: File[],
    opts: {
      name?: string;
      onProgress?: (p: { file: string; bytes: number; totalBytes?: number; lines: number }) => void;
    },
  ): Promise<Dataset>;
  listModels(): readonly ModelInfo[];
  loadEmbedder(id: string, fetchAsset: AssetFetcher): Promise<Embedder>;
  assetFetcher(baseUrl: string): AssetFetcher;
  /** where hub models are fetched from and cached (default: huggingface.co and the Cache API) */
  hub?: HubOptions;
}

type Job = { id: number; ctrl: AbortController };
type Ctx = {
  id: number;
  signal: AbortSignal;
  progress: (phase: JobPhase, done: number, total: number, detail?: string) => void;
};

/** Requests that run in the job queue (one at a time), cancellable. */
const QUEUED: ReadonlySet<RequestType> = new Set<RequestType>([
  'set-backend',
  'import-dataset',
  'load-demo',
  'delete-dataset',
  'evaluate',
  'import-model',
  'delete-model',
  'similarity',
  ...QUEUED_TRAINING,
]);
const TRAINING: ReadonlySet<RequestType> = new Set<RequestType>(TRAINING_REQUEST_TYPES);
type TrainingReq = Extract<Request, { type: TrainingRequestType }>;
const isTraining = (r: Request): r is TrainingReq => TRAINING.has(r.type);

export class Engine {
  private readonly backends: Backends;
  private readonly models: ModelManager;
  private readonly training: Training;
  private fetcher: AssetFetcher | null = null;
  private queue: Promise<unknown> = Promise.resolve();
  private readonly jobs = new Map<number, Job>();
  /** the last loaded dataset (evaluations and drill-downs usually hit the same one) */
  private recent: { name: string; ds: Promise<Dataset> } | null = null;

  constructor(
    private readonly post: (e: WorkerEvent) => void,
    private readonly deps: EngineDeps,
  ) {
    this.backends = new Backends((pref) => deps.acquireBackend(pref), post);
    this.models = new ModelManager({
      db: () => deps.db(),
      fetcher: () => {
        if (!this.fetcher) throw new Error('The engine was not initialised (no init request).');
        return this.fetcher;
      },
      listModels: () => deps.listModels(),
      loadEmbedder: (id, f) => deps.loadEmbedder(id, f),
      hub: deps.hub,
    });
    this.training = new Training({
      db: () => deps.db(),
      models: this.models,
      backends: this.backends,
      dataset: async (name) => this.dataset(name, await deps.db()),
    });
  }

  /** Handles one incoming message; never throws (failures become error events). */
  async handle(data: unknown): Promise<void> {
    let req: Request;
    try {
      req = parseRequest(data);
    } catch (e) {
      const id = Number.isInteger((data as { id?: unknown } | null)?.id) ? (data as { id: number }).id : -1;
      this.post(toErrorEvent(id, e));
      return;
    }
    if (req.type === 'cancel') {
      const job = this.jobs.get(req.target);
      job?.ctrl.abort();
      this.post({ type: 'result', id: req.id, request: 'cancel', result: { cancelled: job !== undefined } });
      return;
    }
    const ctrl = new AbortController();
    const ctx: Ctx = {
      id: req.id,
      signal: ctrl.signal,
      progress: (phase, done, total, detail) =>
        this.post({ type: 'progress', id: req.id, phase, done, total, detail }),
    };
    const run = () => this.dispatch(req, ctx);
    let p: Promise<unknown>;
    if (QUEUED.has(req.type)) {
      this.jobs.set(req.id, { id: req.id, ctrl });
      ctx.progress('queued', 0, 1);
      p = this.queue.then(() => {
        ctrl.signal.throwIfAborted();
        return run();
      });
      this.queue = p.catch(() => undefined);
    } else p = run();
    try {
      const result = await p;
      this.post({ type: 'result', id: req.id, request: req.type, result } as WorkerEvent);
    } catch (e) {
      this.post(toErrorEvent(req.id, e));
    } finally {
      this.jobs.delete(req.id);
    }
  }

  private async dispatch(req: Request, ctx: Ctx): Promise<ResultOf<RequestType>> {
    if (isTraining(req)) return this.training.handle(req, { ...ctx, post: this.post });
    const db = await this.deps.db();
    switch (req.type) {
      case 'init':
        this.fetcher = this.deps.assetFetcher(req.baseUrl);
        return { models: [...this.deps.listModels()] };
      case 'set-backend':
        ctx.progress('acquire-backend', 0, 1);
        return Backends.info(await this.backends.get(req.backend), req.backend);
      case 'list-datasets':
        return listDatasets(db);
      case 'list-runs':
        return listRuns(req.dataset, db);
      case 'import-dataset': {
        const ds = await this.deps.datasetFromFiles(req.files, {
          name: req.name,
          onProgress: (p) => {
            ctx.signal.throwIfAborted();
            ctx.progress('read', p.bytes, p.totalBytes ?? 0, p.file);
          },
        });
        return this.store(ds, ctx);
      }
      case 'load-demo':
        return this.store(await this.deps.loadDemo(), ctx);
      case 'delete-dataset':
        this.forget(req.name);
        await deleteDataset(req.name, db);
        return null;
      case 'evaluate':
        return this.evaluate(req, ctx, db);
      case 'query-texts': {
        const ds = await this.dataset(req.dataset, db);
        return Object.fromEntries(ds.queries.map((q) => [q.id, q.text]));
      }
      case 'query-details': {
        const run = await getRun(req.runId, db);
        return queryDetails(await this.dataset(run.dataset, db), run, req.qid);
      }
      case 'delete-run':
        await deleteRun(req.runId, db);
        return null;
      case 'list-models':
        return this.models.list();
      case 'model-details': {
        ctx.progress('load-model', 0, 1, req.model);
        const templates = await this.models.templates(req.model);
        return { entry: await this.entry(req.model), templates };
      }
      case 'import-model':
        return this.importModel(req, ctx, db);
      case 'delete-model':
        await this.models.delete(req.model);
        return null;
      case 'set-templates':
        return this.models.setTemplates(req.model, req.templates);
      case 'similarity':
        return this.similarity(req, ctx);
      case 'cancel':
        throw new Error('cancel is handled before dispatch');
    }
  }

  private async store(ds: Dataset, ctx: Ctx) {
    ctx.signal.throwIfAborted();
    ctx.progress('save', 0, 1);
    this.forget(ds.name);
    const meta = await saveDataset(ds, await this.deps.db());
    ctx.progress('save', 1, 1);
    return meta;
  }

  private forget(name: string): void {
    if (this.recent?.name === name) this.recent = null;
  }

  private dataset(name: string, db: StudioDB): Promise<Dataset> {
    if (this.recent?.name !== name) {
      const ds = loadDataset(name, db);
      ds.catch(() => this.forget(name));
      this.recent = { name, ds };
    }
    return this.recent.ds;
  }

  private async entry(id: string): Promise<ModelEntry> {
    const e = (await this.models.list()).find((m) => m.id === id);
    if (!e) throw new Error(`unknown model "${id}"`);
    return e;
  }

  private async importModel(req: ImportModelRequest, ctx: Ctx, db: StudioDB): Promise<ModelEntry> {
    const env = { db, hub: this.deps.hub ?? {}, builtins: this.deps.listModels().map((m) => m.id) };
    const { rec, loaded } = req.files
      ? await importFolder(req.files, { engine: req.engine, name: req.name }, env, ctx)
      : await importHub(req.hub as string, { name: req.name }, env, ctx);
    this.models.remember(rec.id, loaded);
    return this.entry(rec.id);
  }

  private async similarity(req: SimilarityRequest, ctx: Ctx): Promise<SimilarityResult> {
    ctx.progress('load-model', 0, 1, req.model);
    const e = await this.models.embedder(req.model, ctx.signal);
    const entry = await this.entry(req.model);
    ctx.progress('acquire-backend', 0, 1);
    return this.backends.run(req.backend, ctx.signal, async (b: Backend) => {
      ctx.progress('embed', 0, 1);
      const r = await similarity(e, b, req.a, req.b);
      const active = this.backends.active;
      const engine =
        entry.engine === 'onnxruntime-web'
          ? `onnxruntime-web (${entry.ep ?? 'wasm'})`
          : `studio kernels on ${active?.label ?? b.label}`;
      return { model: req.model, ...r, backend: active, engine };
    });
  }

  private async evaluate(req: EvaluateRequest, ctx: Ctx, db: StudioDB) {
    const ds = await this.dataset(req.dataset, db);
    const onProgress: EvaluateOptions['onProgress'] = (p) => ctx.progress(p.phase, p.done, p.total);
    const run = async (retriever: Retriever) => {
      const { report, run } = await this.deps.evaluate({
        dataset: ds,
        split: req.split,
        retriever,
        depth: req.depth,
        signal: ctx.signal,
        onProgress,
      });
      ctx.progress('save', 0, 1);
      const { hits: _hits, kept: _kept, ...rec } = await saveRun(report, run, req.keep, db);
      return rec;
    };
    if (req.retriever === 'bm25') return run({ kind: 'bm25', k1: req.bm25?.k1, b: req.bm25?.b });
    const model = req.retriever.model;
    ctx.progress('acquire-backend', 0, 1);
    // cached embedding chunks survive a lost device: the retry resumes where it stopped
    return this.backends.run(req.backend, ctx.signal, async (backend) => {
      ctx.progress('load-model', 0, 1);
      const embedder = model.startsWith(EXPERT_PREFIX)
        ? await this.training.expertEmbedder(model, ctx.signal)
        : await this.models.embedder(model, ctx.signal);
      return run({ kind: 'dense', embedder, backend, cache: new IdbEmbeddingCache(db) });
    });
  }
}
