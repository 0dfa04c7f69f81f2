/**
 * The typed message protocol between the UI and the one engine worker.
 * The UI posts a `Request` (each with a fresh numeric id); the worker answers with `progress` events
 * and exactly one `result` or `error` for that id. `backend` events are unsolicited (the active
 * compute backend changed, e.g. after a lost WebGPU device).
 */
import type { DatasetMeta, RunRecord } from '../store/db';
import type { Progress } from '../eval/evaluate';
import type { Scores } from '../eval/types';
import type { ModelInfo } from '../models/types';
import type { ModelTemplates } from '../store/templates';
import {
  checkModelRequest,
  type ImportModelRequest,
  type ModelEntry,
  type SimilarityRequest,
  type SimilarityResult,
  type TemplatesResult,
} from './protocol-models';
import {
  checkTrainingRequest,
  TRAINING_REQUEST_TYPES,
  type TrainingRequestMap,
  type TrainingRequestType,
} from './protocol-training';
import type { TrainProgress } from '../train/types';

export type {
  ImportModelRequest,
  ModelEntry,
  ModelFile,
  SimilarityRequest,
  SimilarityResult,
  TemplatesResult,
} from './protocol-models';
export type { ExpertFile, TrainRequest, TrainingRequestType } from './protocol-training';

export type BackendPref = 'auto' | 'cpu' | 'webgpu';
export const BACKEND_PREFS: readonly BackendPref[] = ['auto', 'webgpu', 'cpu'];

export interface BackendInfo {
  kind: 'cpu' | 'webgpu';
  label: string;
  /** the preference it was acquired for */
  pref: BackendPref;
}

/** 'bm25' (lexical, no backend needed) or a dense model from the registry. */
export type RetrieverChoice = 'bm25' | { model: string };
export interface Bm25Params {
  k1?: number;
  b?: number;
}

export interface EvaluateRequest {
  dataset: string;
  split: string;
  retriever: RetrieverChoice;
  backend: BackendPref;
  bm25?: Bm25Params;
  /** ranked list depth (default 1000) */
  depth?: number;
  /** hits per query kept for drill-down (default 100) */
  keep?: number;
}

/** One document line of a drill-down. */
export interface DocView {
  id: string;
  title: string;
  /** the start of the text */
  snippet: string;
  /** qrels grade, or null when unjudged */
  grade: number | null;
  /** 1-based rank in the stored hits, null when below the kept depth */
  rank: number | null;
  score: number | null;
}
export interface QueryDetails {
  runId: string;
  qid: string;
  text: string;
  metrics: Scores;
  top: DocView[];
  /** relevant (grade > 0) docs that are not in the top 10, best rank first */
  missed: DocView[];
  /** hits kept per query: a missed doc with rank null ranked below this */
  kept: number;
}

/** request type -> [request body, result] (training requests: protocol-training.ts) */
export interface RequestMap extends TrainingRequestMap {
  /** base URL of the app (model assets live at <base>models/) and the backend preference; acquires nothing */
  init: [{ baseUrl: string; backend: BackendPref }, { models: ModelInfo[] }];
  /** acquires (or re-acquires) the compute backend now and reports it */
  'set-backend': [{ backend: BackendPref }, BackendInfo];
  'list-datasets': [Record<string, never>, DatasetMeta[]];
  'list-runs': [{ dataset?: string }, RunRecord[]];
  'import-dataset': [{ files: File[]; name?: string }, DatasetMeta];
  'load-demo': [Record<string, never>, DatasetMeta];
  'delete-dataset': [{ name: string }, null];
  evaluate: [EvaluateRequest, RunRecord];
  /** qid -> query text of a stored dataset (for per-query lists) */
  'query-texts': [{ dataset: string }, Record<string, string>];
  'query-details': [{ runId: string; qid: string }, QueryDetails];
  'delete-run': [{ runId: string }, null];
  'list-models': [Record<string, never>, ModelEntry[]];
  /** loads the model (once) and describes it, with its templates */
  'model-details': [{ model: string }, { entry: ModelEntry; templates: TemplatesResult }];
  'import-model': [ImportModelRequest, ModelEntry];
  /** deletes an imported model with its files and cached embeddings (runs stay) */
  'delete-model': [{ model: string }, null];
  /** templates: null resets to the model's own */
  'set-templates': [{ model: string; templates: ModelTemplates | null }, TemplatesResult];
  similarity: [SimilarityRequest, SimilarityResult];
  /** aborts the job with id `target` (a queued one never starts) */
  cancel: [{ target: number }, { cancelled: boolean }];
}
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

const REQUEST_TYPES: ReadonlySet<string> = new Set<RequestType>([
  'init',
  'set-backend',
  'list-datasets',
  'list-runs',
  'import-dataset',
  'load-demo',
  'delete-dataset',
  'evaluate',
  'query-texts',
  'query-details',
  'delete-run',
  'cancel',
  'list-models',
  'model-details',
  'import-model',
  'delete-model',
  'set-templates',
  'similarity',
  ...TRAINING_REQUEST_TYPES,
]);

function need(ok: boolean, what: string): void {
  if (!ok) throw new ProtocolError(what);
}
const isStr = (v: unknown): v is string => typeof v === 'string' && v.length > 0;
const isPref = (v: unknown): v is BackendPref => v === 'auto' || v === 'cpu' || v === 'webgpu';
const optNum = (v: unknown, lo: number, hi: number) =>
  v === undefined || (typeof v === 'number' && Number.isFinite(v) && v >= lo && v <= hi);

/** Checks an incoming message's shape; throws ProtocolError naming the first problem. */
export function parseRequest(data: unknown): Request {
  need(typeof data === 'object' && data !== null, 'message is not an object');
  const m = data as Record<string, unknown>;
  need(Number.isInteger(m.id), 'message has no integer id');
  need(
    typeof m.type === 'string' && REQUEST_TYPES.has(m.type),
    `unknown request type ${JSON.stringify(m.type)}`,
  );
  const t = m.type as RequestType;
  switch (t) {
    case 'init':
      need(isStr(m.baseUrl), 'init needs baseUrl');
      need(isPref(m.backend), 'init needs backend auto|webgpu|cpu');
      break;
    case 'set-backend':
      need(isPref(m.backend), 'set-backend needs backend auto|webgpu|cpu');
      break;
    case 'list-runs':
      need(m.dataset === undefined || isStr(m.dataset), 'list-runs dataset must be a string');
      break;
    case 'import-dataset':
      need(Array.isArray(m.files) && m.files.length > 0, 'import-dataset needs at least one file');
      need(m.name === undefined || isStr(m.name), 'import-dataset name must be a non-empty string');
      break;
    case 'delete-dataset':
      need(isStr(m.name), 'delete-dataset needs name');
      break;
    case 'query-texts':
      need(isStr(m.dataset), 'query-texts needs dataset');
      break;
    case 'evaluate': {
      need(isStr(m.dataset) && isStr(m.split), 'evaluate needs dataset and split');
      const r = m.retriever;
      need(
        r === 'bm25' || (typeof r === 'object' && r !== null && isStr((r as { model?: unknown }).model)),
        "evaluate retriever must be 'bm25' or { model }",
      );
      need(isPref(m.backend), 'evaluate needs backend auto|webgpu|cpu');
      const bm = (m.bm25 ?? {}) as Record<string, unknown>;
      need(optNum(bm.k1, 0, 100) && optNum(bm.b, 0, 1), 'bm25 k1 must be in 0..100 and b in 0..1');
      need(optNum(m.depth, 1, 10000) && optNum(m.keep, 10, 1000), 'depth must be 1..10000 and keep 10..1000');
      break;
    }
    case 'query-details':
      need(isStr(m.runId) && isStr(m.qid), 'query-details needs runId and qid');
      break;
    case 'delete-run':
      need(isStr(m.runId), 'delete-run needs runId');
      break;
    case 'cancel':
      need(Number.isInteger(m.target), 'cancel needs an integer target');
      break;
    case 'model-details':
    case 'delete-model':
    case 'import-model':
    case 'set-templates':
    case 'similarity':
      checkModelRequest(t, m, need);
      break;
    case 'list-datasets':
    case 'load-demo':
    case 'list-models':
      break;
    default:
      checkTrainingRequest(t as TrainingRequestType, m, need);
  }
  return m as unknown as Request;
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
