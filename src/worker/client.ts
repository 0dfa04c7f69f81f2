/** The UI's promise-based handle on the engine worker. */
import type { TrainProgress } from '../train/types';
import type { PromptSearchProgress } from '../prompts/search-types';
import {
  EngineError,
  type BackendInfo,
  type JobPhase,
  type RequestBody,
  type RequestType,
  type ResultOf,
  type WorkerEvent,
} from './protocol';

/** What the client needs of a Worker (or of an in-process channel in tests). */
export interface EnginePort {
  postMessage(message: unknown): void;
  onmessage: ((ev: MessageEvent) => void) | null;
}

export interface JobProgress {
  phase: JobPhase;
  done: number;
  total: number;
  detail?: string;
  /** a training step (phase 'train') */
  train?: TrainProgress;
  /** a prompt search's rung, budget and leaderboard so far */
  prompts?: PromptSearchProgress;
}

export interface JobHandle<T> {
  readonly id: number;
  readonly promise: Promise<T>;
  cancel(): void;
}

type Pending = { resolve(v: unknown): void; reject(e: Error): void; onProgress?: (p: JobProgress) => void };

export class EngineClient {
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private readonly backendListeners = new Set<(info: BackendInfo, notice?: string) => void>();
  private readonly warningListeners = new Set<(id: number, message: string) => void>();

  constructor(private readonly port: EnginePort) {
    port.onmessage = (ev) => this.receive(ev.data as WorkerEvent);
  }

  /** Starts the app's worker. */
  static spawn(): EngineClient {
    const worker = new Worker(new URL('./engine.worker.ts', import.meta.url), {
      type: 'module',
      name: 'stm-engine',
    });
    const client = new EngineClient(worker);
    worker.onerror = (ev) => {
      ev.preventDefault();
      client.failAll(new Error(`The engine worker failed: ${ev.message || 'it could not start'}`));
    };
    return client;
  }

  /** Sends a request; the handle's promise settles with the result or an EngineError. */
  start<K extends RequestType>(
    type: K,
    body: RequestBody<K>,
    onProgress?: (p: JobProgress) => void,
  ): JobHandle<ResultOf<K>> {
    const id = this.nextId++;
    const promise = new Promise<ResultOf<K>>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject, onProgress });
    });
    this.port.postMessage({ ...body, id, type });
    return { id, promise, cancel: () => this.cancel(id) };
  }

  request<K extends RequestType>(
    type: K,
    body: RequestBody<K>,
    onProgress?: (p: JobProgress) => void,
  ): Promise<ResultOf<K>> {
    return this.start(type, body, onProgress).promise;
  }

  cancel(target: number): void {
    if (this.pending.has(target)) void this.request('cancel', { target });
  }

  /** Called whenever the worker reports its active backend (also after a lost device). */
  onBackend(fn: (info: BackendInfo, notice?: string) => void): () => void {
    this.backendListeners.add(fn);
    return () => this.backendListeners.delete(fn);
  }

  /** Called when a request goes on degraded (its id and what the user should know). */
  onWarning(fn: (id: number, message: string) => void): () => void {
    this.warningListeners.add(fn);
    return () => this.warningListeners.delete(fn);
  }

  private failAll(e: Error): void {
    for (const p of this.pending.values()) p.reject(e);
    this.pending.clear();
  }

  private receive(ev: WorkerEvent): void {
    if (ev.type === 'backend') {
      for (const fn of this.backendListeners) fn(ev.info, ev.notice);
      return;
    }
    if (ev.type === 'warning') {
      for (const fn of this.warningListeners) fn(ev.id, ev.message);
      return;
    }
    const p = this.pending.get(ev.id);
    if (!p) return;
    if (ev.type === 'progress')
      p.onProgress?.({
        phase: ev.phase,
        done: ev.done,
        total: ev.total,
        detail: ev.detail,
        ...(ev.train ? { train: ev.train } : {}),
        ...(ev.prompts ? { prompts: ev.prompts } : {}),
      });
    else {
      this.pending.delete(ev.id);
      if (ev.type === 'result') p.resolve(ev.result);
      else p.reject(new EngineError(ev));
    }
  }
}
