/**
 * The worker's feature table: every request type but `cancel` is answered by exactly one feature's route.
 * The request types (RequestMap, re-exported by protocol.ts) and their runtime list derive from it: a new
 * feature is its folder (features/<name>/: protocol.ts with its request types and checks, routes.ts) and one
 * line here.
 */
import { ProtocolError } from '../events';
import { bundle } from './bundle/routes';
import { data } from './data/routes';
import { evaluation } from './eval/routes';
import { explorer } from './explorer/routes';
import type { Feature, Route } from './feature';
import { generate } from './generate/routes';
import { handoff } from './handoff/routes';
import { merge } from './merge/routes';
import { mergeSearch } from './merge-search/routes';
import { models } from './models/routes';
import { prompts } from './prompts/routes';
import { session } from './session/routes';
import { synth } from './synth/routes';
import { train } from './train/routes';

/** feature name -> its routes; the RequestMap (the request types) derives from this table */
export const FEATURES = {
  session,
  data,
  evaluation,
  models,
  train,
  synth,
  generate,
  merge,
  mergeSearch,
  prompts,
  bundle,
  explorer,
  handoff,
} as const;

type Features = typeof FEATURES;
/** Requests the engine answers itself, whatever the features. */
export interface EngineRequestMap {
  /** aborts the job with id `target` (a queued one never starts) */
  cancel: [{ target: number }, { cancelled: boolean }];
}

type MapOf<F> = F extends Feature<infer M> ? M : never;
type Joined<U> = (U extends unknown ? (x: U) => void : never) extends (x: infer I) => void ? I : never;
/**
 * request type -> [request body, result]: the engine's own requests and those of every feature in the
 * feature table (features/table.ts; each feature's request types are in features/<name>/protocol.ts).
 */
export type RequestMap = EngineRequestMap &
  Joined<{ [F in keyof Features]: MapOf<Features[F]> }[keyof Features]>;
export type RequestType = keyof RequestMap;
export type Request = { [K in RequestType]: { id: number; type: K } & RequestMap[K][0] }[RequestType];

type AnyRoute = Route<string, unknown, unknown>;
type AnyFeature = Feature<Record<string, [unknown, unknown]>>;
type Owned = { feature: AnyFeature; route: AnyRoute };

const ROUTES: ReadonlyMap<string, Owned> = (() => {
  const out = new Map<string, Owned>();
  for (const [name, f] of Object.entries(FEATURES) as [string, AnyFeature][])
    for (const [type, route] of Object.entries(f.routes)) {
      if (out.has(type)) throw new Error(`request type "${type}" is routed by two features (${name})`);
      out.set(type, { feature: f, route: route as AnyRoute });
    }
  return out;
})();

/** Every request type the engine accepts: the features' and the engine's own `cancel`. */
const REQUEST_TYPES: ReadonlySet<string> = new Set<string>([...ROUTES.keys(), 'cancel']);

/** The route of a (parsed) request other than cancel. */
export function routeOf(type: Exclude<RequestType, 'cancel'>): AnyRoute {
  return (ROUTES.get(type) as Owned).route;
}

function need(ok: boolean, what: string): void {
  if (!ok) throw new ProtocolError(what);
}

/** Checks an incoming message's shape; throws ProtocolError naming the first problem. */
export function parseRequest(data: unknown): Request {
  need(typeof data === 'object' && data !== null, 'message is not an object');
  const m = data as Record<string, unknown>;
  need(Number.isInteger(m.id), 'message has no integer id');
  need(
    typeof m.type === 'string' && REQUEST_TYPES.has(m.type),
    `unknown request type ${JSON.stringify(m.type)}`,
  );
  const t = m.type as string;
  if (t === 'cancel') need(Number.isInteger(m.target), 'cancel needs an integer target');
  else (ROUTES.get(t) as Owned).feature.check(t, m, need);
  return m as unknown as Request;
}
