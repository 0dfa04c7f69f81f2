/**
 * The studio's engine of the comparison page, in a dedicated worker: there the weights can be read tensor
 * by tensor with synchronous Range requests (range-source.ts), so the page never holds a weight file whole.
 * One message in (a WebBenchRequest whose model is an absolute URL), progress lines and one result out.
 */
import { runStudio } from './engines';
import type { WebBenchRequest } from './protocol';
import type { StudioWorkerMessage } from './studio-client';

const post = (m: StudioWorkerMessage) => postMessage(m);

onmessage = async (e: MessageEvent<WebBenchRequest>) => {
  try {
    post({ kind: 'done', run: await runStudio(e.data, (line) => post({ kind: 'log', line })) });
  } catch (err) {
    post({ kind: 'error', message: err instanceof Error ? (err.stack ?? err.message) : String(err) });
  }
};
