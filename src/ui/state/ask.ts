/**
 * Jobs the worker may refuse until the user confirms (replacing a dataset with runs, importing an expert
 * that is already stored): the refusal is turned into a question, and a yes sends the confirmed request.
 */
import type { RunJob } from './types';

type Handle<T> = { id: number; promise: Promise<T> };
type Start<T> = (onProgress: Parameters<Parameters<RunJob>[2]>[0]) => Handle<T>;

/** Asks the user a yes/no question (window.confirm in the app). */
export type Confirm = (message: string) => boolean | Promise<boolean>;

/**
 * Runs `start` as a job; when it fails with an error named `refusal`, asks `question(error)` and on yes
 * runs `confirmed` as a second job. Other failures are shown as errors (as for every job).
 */
export async function jobOrAsk<T>(
  job: RunJob,
  confirm: Confirm,
  kind: Parameters<RunJob>[0],
  label: string,
  start: Start<T>,
  refusal: string,
  question: (e: Error) => string,
  confirmed: Start<T>,
): Promise<T | undefined> {
  let refused: Error | null = null;
  const first = await job(kind, label, (p) => {
    const h = start(p);
    const promise = h.promise.catch((e: unknown) => {
      if ((e as Error | null)?.name !== refusal) throw e;
      refused = e as Error;
      return undefined;
    });
    return { id: h.id, promise };
  });
  if (!refused) return first;
  if (!(await confirm(question(refused)))) return undefined;
  return job(kind, label, confirmed);
}
