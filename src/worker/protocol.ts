/**
 * The typed message protocol between the UI and the one engine worker.
 * The UI posts a `Request` (each with a fresh numeric id); the worker answers with `progress` events
 * and exactly one `result` or `error` for that id. `backend` events are unsolicited (the active
 * compute backend changed, e.g. after a lost WebGPU device); a `warning` names the request that goes on degraded.
 */
import type { BackendEvent, ErrorEvent, ProgressEvent, WarningEvent } from './events';
import type { RequestMap, RequestType } from './features/table';

export * from './events';
export type { EngineRequestMap, Request, RequestMap, RequestType } from './features/table';
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
export type {
  SynthDecision,
  SynthGenerateRequest,
  SynthPage,
  SynthRequestType,
  SynthSetRecord,
} from './features/synth/protocol';
export type { GenerateTextRequest } from './features/generate/protocol';

export type RequestBody<K extends RequestType> = RequestMap[K][0];
export type ResultOf<K extends RequestType> = RequestMap[K][1];

export type WorkerEvent =
  | ProgressEvent
  | { [K in RequestType]: { type: 'result'; id: number; request: K; result: ResultOf<K> } }[RequestType]
  | ErrorEvent
  | BackendEvent
  | WarningEvent;
