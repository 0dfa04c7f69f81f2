/** Helpers of the UI store: errors shown to the user, and worker jobs tracked with their progress. */
import type { StoreApi } from 'zustand/vanilla';
import type { JobProgress } from '../../worker/client';
import type { Fail, JobKind, RunJob, UiError, UiState } from './types';

export type { Fail, RunJob } from './types';

type Set = StoreApi<UiState>['setState'];

/** Appends an error (name, message, and file:line when the error has them). */
export function makeFail(set: Set): Fail {
  let seq = 0;
  return (context, e) => {
    const err = e as { name?: string; message?: string; file?: string; line?: number | null };
    const entry: UiError = {
      seq: ++seq,
      context,
      name: err?.name ?? 'Error',
      message: err?.message ?? String(e),
    };
    if (err?.file !== undefined) {
      entry.file = err.file;
      entry.line = err.line ?? null;
    }
    // the same failure from several actions (a storage closed by another tab) is shown once, naming them all
    set((s) => {
      const same = s.errors.find(
        (x) =>
          x.name === entry.name &&
          x.message === entry.message &&
          x.file === entry.file &&
          x.line === entry.line,
      );
      if (!same) return { errors: [...s.errors, entry] };
      const contexts = same.context.split(' and ');
      entry.context = contexts.includes(context) ? same.context : [...contexts, context].join(' and ');
      return { errors: [...s.errors.filter((x) => x !== same), entry] };
    });
  };
}

/** Runs a worker job, tracking its progress in `jobs`; resolves undefined when it failed or was cancelled. */
export function makeJobRunner(set: Set, fail: Fail): RunJob {
  return async function job<T>(
    kind: JobKind,
    label: string,
    start: (onProgress: (p: JobProgress) => void) => { id: number; promise: Promise<T> },
  ): Promise<T | undefined> {
    const t = Date.now();
    let id = -1;
    const onProgress = (p: JobProgress) =>
      set((s) => {
        const prev = s.jobs[id];
        if (!prev) return {};
        const newPhase = prev.phase !== p.phase || (prev.detail !== p.detail && p.done < prev.done);
        return {
          jobs: {
            ...s.jobs,
            [id]: {
              ...prev,
              ...p,
              phaseStartedAt: newPhase ? Date.now() : prev.phaseStartedAt,
              phaseStartDone: newPhase ? p.done : prev.phaseStartDone,
            },
          },
        };
      });
    const h = start(onProgress);
    id = h.id;
    set((s) => ({
      jobs: {
        ...s.jobs,
        [id]: {
          id,
          kind,
          label,
          phase: 'queued',
          done: 0,
          total: 1,
          startedAt: t,
          phaseStartedAt: t,
          phaseStartDone: 0,
        },
      },
    }));
    try {
      return await h.promise;
    } catch (e) {
      if ((e as Error).name !== 'AbortError') fail(label, e);
      return undefined;
    } finally {
      set((s) => {
        const jobs = { ...s.jobs };
        delete jobs[id];
        return { jobs };
      });
    }
  };
}
