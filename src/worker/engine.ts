/**
 * The engine behind the worker: owns the compute backend, runs one long job at a time (each with
 * its AbortController), persists through src/store, and answers every request with events.
 * It has no `self`: engine.worker.ts wires it to the worker scope, tests wire it in-process.
 */
import type { Dataset } from '../data/types';
import type { EvaluateOptions, Retriever } from '../eval/evaluate';
import type { EvalReport, Run } from '../eval/types';
import { DeviceLostError, type Backend } from '../gpu/backend';
import type { AssetFetcher } from '../models/registry';
import type { Embedder, ModelInfo } from '../models/types';
import type { StudioDB } from '../store/db';
import { deleteDataset, listDatasets, loadDataset, saveDataset } from '../store/datasets';
import { IdbEmbeddingCache } from '../store/embeddings';
import { deleteRun, getRun, listRuns, saveRun } from '../store/runs';
import { queryDetails } from './drilldown';
import {
  parseRequest,
  toErrorEvent,
  type BackendInfo,
  type BackendPref,
  type EvaluateRequest,
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
  datasetFromFiles(files: File[], opts: { name?: string; onProgress?: (p: { file: string; bytes: number; totalBytes?: number; lines: number }) => void }): Promise<Dataset>;
  listModels(): readonly ModelInfo[];
  loadEmbedder(id: string, fetchAsset: AssetFetcher): Promise<Embedder>;
  assetFetcher(baseUrl: string): AssetFetcher;
}

type Job = { id: number; ctrl: AbortController };
type Ctx = { id: number; signal: AbortSignal; progress: (phase: JobPhase, done: number, total: number, detail?: string) => void };

/** Requests that run in the job queue (one at a time), cancellable. */
const QUEUED: ReadonlySet<RequestType> = new Set<RequestType>(['set-backend', 'import-dataset', 'load-demo', 'delete-dataset', 'evaluate']);

export class Engine {
  private backend: { pref: BackendPref; value: Backend } | null = null;
  private fetcher: AssetFetcher | null = null;
  private pref: BackendPref = 'auto';
  private queue: Promise<unknown> = Promise.resolve();
  private readonly jobs = new Map<number, Job>();
  /** the last loaded dataset (evaluations and drill-downs usually hit the same one) */
  private recent: { name: string; ds: Promise<Dataset> } | null = null;

  constructor(
    private readonly post: (e: WorkerEvent) => void,
    private readonly deps: EngineDeps,
  ) {}

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
      progress: (phase, done, total, detail) => this.post({ type: 'progress', id: req.id, phase, done, total, detail }),
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
    const db = await this.deps.db();
    switch (req.type) {
      case 'init':
        this.pref = req.backend;
        this.fetcher = this.deps.assetFetcher(req.baseUrl);
        return { models: [...this.deps.listModels()] };
      case 'set-backend':
        this.pref = req.backend;
        ctx.progress('acquire-backend', 0, 1);
        return this.info(await this.backendFor(req.backend));
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

  private info(b: Backend, pref: BackendPref = this.pref): BackendInfo {
    return { kind: b.kind, label: b.label, pref };
  }

  /** The backend for `pref`, acquired on first use; a new preference replaces (destroys) the old one. */
  private async backendFor(pref: BackendPref, notice?: string): Promise<Backend> {
    if (this.backend?.pref === pref) return this.backend.value;
    this.dropBackend();
    const value = await this.deps.acquireBackend(pref);
    this.backend = { pref, value };
    this.post({ type: 'backend', info: this.info(value, pref), notice });
    return value;
  }

  private dropBackend(): void {
    try {
      this.backend?.value.destroy();
    } catch {
      // a lost device may throw on destroy; it is gone either way
    }
    this.backend = null;
  }

  /** After a lost device: a fresh device for the same preference, else the CPU. */
  private async recover(pref: BackendPref, lost: DeviceLostError): Promise<void> {
    this.dropBackend();
    try {
      await this.backendFor(pref, `${lost.message}; acquired a new device.`);
    } catch {
      await this.backendFor('cpu', `${lost.message}; no new device, fell back to the CPU.`);
    }
  }

  private async evaluate(req: EvaluateRequest, ctx: Ctx, db: StudioDB) {
    const ds = await this.dataset(req.dataset, db);
    const onProgress: EvaluateOptions['onProgress'] = (p) => ctx.progress(p.phase, p.done, p.total);
    let pref = req.backend;
    for (let attempt = 0; ; attempt++) {
      ctx.signal.throwIfAborted();
      let retriever: Retriever;
      if (req.retriever === 'bm25') retriever = { kind: 'bm25', k1: req.bm25?.k1, b: req.bm25?.b };
      else {
        ctx.progress('acquire-backend', 0, 1);
        const backend = await this.backendFor(pref);
        ctx.progress('load-model', 0, 1);
        if (!this.fetcher) throw new Error('The engine was not initialised (no init request).');
        const embedder = await this.deps.loadEmbedder(req.retriever.model, this.fetcher);
        retriever = { kind: 'dense', embedder, backend, cache: new IdbEmbeddingCache(db) };
      }
      try {
        const { report, run } = await this.deps.evaluate({ dataset: ds, split: req.split, retriever, depth: req.depth, signal: ctx.signal, onProgress });
        ctx.progress('save', 0, 1);
        const { hits: _hits, kept: _kept, ...rec } = await saveRun(report, run, req.keep, db);
        return rec;
      } catch (e) {
        if (!(e instanceof DeviceLostError) || attempt > 0) throw e;
        // cached embedding chunks survive: the retry resumes where the lost device stopped
        await this.recover(pref, e);
        pref = this.backend?.pref ?? 'cpu';
      }
    }
  }
}
