/**
 * What a feature of the worker is: its requests' validation and one route per request type. The engine
 * (engine.ts) owns what is common to every route: parsing, the job queue, cancel, progress and error events.
 */
import type { StudioDB } from '../../store/db';
import type { Host } from '../host';
import type { FeatureEvent, JobPhase } from '../events';
import type { Need } from '../protocol-check';

/** What a running request sees: its id, its cancel signal, progress and raw events, the database. */
export interface JobCtx {
  id: number;
  signal: AbortSignal;
  progress: (phase: JobPhase, done: number, total: number, detail?: string) => void;
  post: (e: FeatureEvent) => void;
  db: StudioDB;
}

export interface Route<K extends string, Body, Result> {
  /** runs in the engine's job queue (one at a time, cancellable, a `queued` progress event first) */
  queued?: boolean;
  run(req: { id: number; type: K } & Body, ctx: JobCtx, host: Host): Promise<Result>;
}

/** A feature answers the request types of its map M: request type -> [request body, result]. */
export interface Feature<M extends { [K in keyof M]: [unknown, unknown] }> {
  /** validates a request body (its type is one of this feature's); `need` throws the ProtocolError */
  check(type: keyof M & string, m: Record<string, unknown>, need: Need): void;
  routes: { [K in keyof M & string]: Route<K, M[K][0], M[K][1]> };
}
