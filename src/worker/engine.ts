/**
 * The engine behind the worker: parses each request, routes it to its feature (features/table.ts) and
 * answers with events. It owns what every feature shares: the job queue (queued routes run one at a time,
 * each with its AbortController), cancel, progress events, errors turned into error events, and the Host
 * (compute backend with its device-lost recovery, models, training, datasets).
 * It has no `self`: engine.worker.ts wires it to the worker scope, tests wire it in-process.
 */
import { parseRequest, routeOf } from './features/table';
import type { JobCtx } from './features/feature';
import { Host, type EngineDeps } from './host';
import { toErrorEvent, type Request, type WorkerEvent } from './protocol';

type Job = { id: number; ctrl: AbortController };

export class Engine {
  private readonly host: Host;
  private queue: Promise<unknown> = Promise.resolve();
  private readonly jobs = new Map<number, Job>();

  constructor(
    private readonly post: (e: WorkerEvent) => void,
    deps: EngineDeps,
  ) {
    this.host = new Host(post, deps);
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
    const route = routeOf(req.type);
    const ctrl = new AbortController();
    const progress: JobCtx['progress'] = (phase, done, total, detail) =>
      this.post({ type: 'progress', id: req.id, phase, done, total, detail });
    const run = async () => {
      const db = await this.host.deps.db();
      return route.run(req, { id: req.id, signal: ctrl.signal, progress, post: this.post, db }, this.host);
    };
    let p: Promise<unknown>;
    if (route.queued) {
      this.jobs.set(req.id, { id: req.id, ctrl });
      progress('queued', 0, 1);
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
}
