/**
 * The typed message protocol between the UI and the one engine worker.
 * The UI posts a `Request` (each with a fresh numeric id); the worker answers with `progress` events
 * and exactly one `result` or `error` for that id. `backend` events are unsolicited (the active
 * compute backend changed, e.g. after a lost WebGPU device).
 */
import type { Progress } from '../eval/evaluate';
import type { TrainProgress } from '../train/types';
import type { Feature } from './features/feature';
import type { FEATURES } from './features/table';

export type { DocView, EvaluateRequest, QueryDetails } from './features/eval/protocol';
export type {
  ImportModelRequest,
  ModelEntry,
  ModelFile,
  SimilarityRequest,
  SimilarityResult,
  TemplatesResult,
} from './features/models/protocol';
export type { ExpertFile, TrainRequest, TrainingRequestType } from './features/train/protocol';

export type BackendPref = 'auto' | 'cpu' | 'webgpu';
export const BACKEND_PREFS: readonly BackendPref[] = ['auto', 'webgpu', 'cpu'];

export interface BackendInfo {
  kind: 'cpu' | 'webgpu';
  label: string;
  /** the preference it was acquired for */
  pref: BackendPref;
}

/** Requests the engine answers itself, whatever the features. */
export interface EngineRequestMap {
  /** aborts the job with id `target` (a queued one never starts) */
  cancel: [{ target: number }, { cancelled: boolean }];
}

type Features = typeof FEATURES;
type MapOf<F> = F extends Feature<infer M> ? M : never;
type Joined<U> = (U extends unknown ? (x: U) => void : never) extends (x: infer I) => void ? I : never;
/**
 * request type -> [request body, result]: the engine's own requests and those of every feature in the
 * feature table (features/table.ts; each feature's request types are in features/<name>/protocol.ts).
 */
export type RequestMap = EngineRequestMap &
  Joined<{ [F in keyof Features]: MapOf<Features[F]> }[keyof Features]>;
export type RequestType = keyof RequestMap;
export type RequestBody<K extends RequestType> = RequestMap[K][0];
export type ResultOf<K extends RequestType> = RequestMap[K][1];
export type Request = { [K in RequestType]: { id: number; type: K } & RequestBody<K> }[RequestType];

export type JobPhase =
  | Progress['phase']
  | 'queued'
  | 'read'
  | 'save'
  | 'load-model'
  | 'acquire-backend'
  | 'download'
  | 'embed'
  | 'mine'
  | 'train'
  | 'checkpoint';

export type WorkerEvent =
  | {
      type: 'progress';
      id: number;
      phase: JobPhase;
      done: number;
      total: number;
      detail?: string;
      train?: TrainProgress;
    }
  | { [K in RequestType]: { type: 'result'; id: number; request: K; result: ResultOf<K> } }[RequestType]
  | { type: 'error'; id: number; name: string; message: string; file?: string; line?: number | null }
  | { type: 'backend'; info: BackendInfo; notice?: string };

export type ErrorEvent = Extract<WorkerEvent, { type: 'error' }>;

/** A malformed message (it never reaches a handler). */
export class ProtocolError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ProtocolError';
  }
}

/** An error as it crosses the worker boundary: name and message, plus file:line of data errors. */
export function toErrorEvent(id: number, e: unknown): ErrorEvent {
  if (e instanceof Error || (typeof e === 'object' && e !== null && 'message' in e)) {
    const err = e as Error & { file?: unknown; line?: unknown };
    const out: ErrorEvent = { type: 'error', id, name: err.name || 'Error', message: String(err.message) };
    if (out.name === 'AbortError') out.message = 'Cancelled';
    if (typeof err.file === 'string') {
      out.file = err.file;
      out.line = typeof err.line === 'number' ? err.line : null;
    }
    return out;
  }
  return { type: 'error', id, name: 'Error', message: String(e) };
}

/** The error a client rejects with: keeps the worker's name, and file/line when present. */
export class EngineError extends Error {
  readonly file?: string;
  readonly line?: number | null;
  constructor(ev: ErrorEvent) {
    super(ev.message);
    this.name = ev.name;
    if (ev.file !== undefined) {
      this.file = ev.file;
      this.line = ev.line ?? null;
    }
  }
}
