/**
 * Runs many jobs with at most `concurrency` in flight. A job that fails is recorded with its index and
 * the batch goes on; a cancel (the signal) starts nothing new, lets the jobs in flight see the signal,
 * and returns what finished, marked cancelled. A failure that `fatal` says dooms every other job
 * (a wrong API key, an unknown model) stops the batch the same way, marked with that error.
 */

export interface BatchProgress {
  total: number;
  /** finished, failed ones included */
  done: number;
  failed: number;
  inFlight: number;
}

export interface BatchFailure {
  index: number;
  message: string;
  error: unknown;
}

export interface BatchOptions<R> {
  /** most jobs in flight (at least 1) */
  concurrency: number;
  signal?: AbortSignal;
  /** after each job ends; `value` is set for a job that succeeded */
  onProgress?: (p: BatchProgress, ended: { index: number; value?: R; failure?: BatchFailure }) => void;
  /** a failure that should stop the whole batch */
  fatal?: (error: unknown) => boolean;
}

export interface BatchResult<R> {
  /** by job index; undefined for a job that failed or never ran */
  values: (R | undefined)[];
  failures: BatchFailure[];
  cancelled: boolean;
  /** the failure that stopped the batch early, if one did */
  stoppedBy?: BatchFailure;
}

function isAbort(e: unknown): boolean {
  return (e as { name?: string })?.name === 'AbortError';
}

export async function runBatch<J, R>(
  jobs: readonly J[],
  work: (job: J, index: number, signal: AbortSignal) => Promise<R>,
  opts: BatchOptions<R>,
): Promise<BatchResult<R>> {
  const limit = Math.max(1, Math.floor(opts.concurrency));
  const values: (R | undefined)[] = new Array(jobs.length).fill(undefined);
  const failures: BatchFailure[] = [];
  // one signal for the jobs: the caller's cancel, or a fatal failure
  const ctl = new AbortController();
  const onAbort = () => ctl.abort();
  opts.signal?.addEventListener('abort', onAbort, { once: true });
  if (opts.signal?.aborted) ctl.abort();
  let stoppedBy: BatchFailure | undefined;
  let next = 0;
  let done = 0;
  let inFlight = 0;
  const progress = (ended: { index: number; value?: R; failure?: BatchFailure }) =>
    opts.onProgress?.({ total: jobs.length, done, failed: failures.length, inFlight }, ended);

  async function lane(): Promise<void> {
    while (!ctl.signal.aborted && next < jobs.length) {
      const index = next++;
      inFlight++;
      try {
        const value = await work(jobs[index], index, ctl.signal);
        values[index] = value;
        inFlight--;
        done++;
        progress({ index, value });
      } catch (error) {
        inFlight--;
        if (ctl.signal.aborted && isAbort(error)) continue; // cancelled, not failed
        const failure: BatchFailure = { index, error, message: (error as Error)?.message ?? String(error) };
        failures.push(failure);
        done++;
        if (opts.fatal?.(error) && !stoppedBy) {
          stoppedBy = failure;
          ctl.abort();
        }
        progress({ index, failure });
      }
    }
  }

  try {
    await Promise.all(Array.from({ length: Math.min(limit, jobs.length) }, () => lane()));
  } finally {
    opts.signal?.removeEventListener('abort', onAbort);
  }
  return {
    values,
    failures: failures.sort((a, b) => a.index - b.index),
    cancelled: opts.signal?.aborted ?? false,
    ...(stoppedBy ? { stoppedBy } : {}),
  };
}
