/**
 * The page's side of studio-worker.ts: runs the studio's engine in a fresh dedicated worker and ends the
 * worker afterwards (its memory goes with it).
 */
import type { WebBenchRequest, WebEngineRun } from './protocol';

export type StudioWorkerMessage =
  { kind: 'log'; line: string } | { kind: 'done'; run: WebEngineRun } | { kind: 'error'; message: string };

export function runStudioInWorker(req: WebBenchRequest, log: (s: string) => void): Promise<WebEngineRun> {
  const worker = new Worker(new URL('./studio-worker.ts', import.meta.url), {
    type: 'module',
    name: 'studio engine',
  });
  // the worker's location is its script's: the model folder goes as an absolute URL
  const model = new URL(req.model.replace(/\/?$/, '/'), location.href).href;
  return new Promise<WebEngineRun>((ok, fail) => {
    worker.onmessage = (e: MessageEvent<StudioWorkerMessage>) => {
      const m = e.data;
      if (m.kind === 'log') log(m.line);
      else if (m.kind === 'done') ok(m.run);
      else fail(new Error(`studio engine (worker): ${m.message}`));
    };
    worker.onerror = (e) => fail(new Error(`studio engine (worker): ${e.message || 'failed to start'}`));
    worker.postMessage({ ...req, model });
  }).finally(() => worker.terminate());
}
