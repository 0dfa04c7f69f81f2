/**
 * The envelope of the worker protocol that does not depend on which features there are: backend preferences,
 * job phases, the events a running request posts (progress, backend changes) and errors as they cross the
 * worker boundary. Features import this, not protocol.ts (which derives the request map from the features).
 */
import type { Progress } from '../eval/evaluate';
import type { PromptSearchProgress } from '../prompts/search-types';
import type { TrainProgress } from '../train/types';

export type BackendPref = 'auto' | 'cpu' | 'webgpu';
export const BACKEND_PREFS: readonly BackendPref[] = ['auto', 'webgpu', 'cpu'];

export interface BackendInfo {
  kind: 'cpu' | 'webgpu';
  label: string;
  /** the preference it was acquired for */
  pref: BackendPref;
  /** why this backend, e.g. "auto: the only WebGPU adapter is SwiftShader, a software renderer (…)" */
  reason: string;
  /** the software renderer that 'auto' passed over for the CPU (then the UI says how to force it), else null */
  skipped: string | null;
}

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
  | 'checkpoint'
  | 'generate'
  | 'propose'
  | 'pack'
  | 'verify'
  | 'project';

/** Progress of a running request. */
export interface ProgressEvent {
  type: 'progress';
  id: number;
  phase: JobPhase;
  done: number;
  total: number;
  detail?: string;
  train?: TrainProgress;
  /** a prompt search's rung, budget and leaderboard so far */
  prompts?: PromptSearchProgress;
}

/** Unsolicited: the active compute backend changed (e.g. after a lost WebGPU device). */
export interface BackendEvent {
  type: 'backend';
  info: BackendInfo;
  notice?: string;
}

/** A request goes on in a degraded way the user should know of (e.g. the embedding cache was dropped on a full disk). */
export interface WarningEvent {
  type: 'warning';
  id: number;
  message: string;
}

export interface ErrorEvent {
  type: 'error';
  id: number;
  name: string;
  message: string;
  file?: string;
  line?: number | null;
}

/** What a feature posts while it runs (its result goes back through the engine). */
export type FeatureEvent = ProgressEvent | BackendEvent | WarningEvent;

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
