/**
 * Joins an Engine and an EngineClient in one thread (Node tests, headless use). Events are
 * structured-cloned and delivered on a later task, as they would be across a worker boundary.
 */
import { EngineClient, type EnginePort } from './client';
import { Engine } from './engine';
import type { EngineDeps } from './host';
import type { WorkerEvent } from './protocol';

/** `tap` sees every event as the engine posts it. */
export function connectInProcess(
  deps: EngineDeps,
  tap?: (e: WorkerEvent) => void,
): { client: EngineClient; engine: Engine } {
  const port: EnginePort = {
    onmessage: null,
    // requests are passed as they are: Node 20 clones a File into a nameless Blob
    postMessage: (msg) => void engine.handle(msg),
  };
  const engine: Engine = new Engine((e) => {
    tap?.(e);
    const copy = structuredClone(e);
    setTimeout(() => port.onmessage?.({ data: copy } as MessageEvent), 0);
  }, deps);
  return { client: new EngineClient(port), engine };
}
