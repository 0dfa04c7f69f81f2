import { useEffect, useState } from 'react';
import type { JobKind, JobState } from './state/ui';
import { useUi } from './context';
import { count, eta, fraction, mb, phaseLabel, seconds } from './format';

/** "12 / 240" items, or bytes for reading and downloading files. */
function amount(job: JobState): string {
  const bytes = job.phase === 'read' || job.phase === 'download';
  return bytes ? `${mb(job.done)} / ${mb(job.total)}` : `${count(job.done)} / ${count(job.total)}`;
}

function useNow(active: boolean): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    if (!active) return;
    const t = setInterval(() => setNow(Date.now()), 500);
    return () => clearInterval(t);
  }, [active]);
  return now;
}

function JobRow({ job, now: tick }: { job: JobState; now: number }) {
  const cancel = useUi((s) => s.cancelJob);
  const now = Math.max(tick, job.phaseStartedAt); // the clock ticks twice a second; never show negative times
  const f = fraction(job);
  const left = eta(job, now);
  return (
    <div className="job" data-testid="job" data-kind={job.kind} data-cancelling={job.cancelling ?? false}>
      <div className="job-head">
        <span className="job-label">{job.label}</span>
        <span className="job-phase" data-testid="job-phase">
          {job.cancelling ? 'Cancelling…' : phaseLabel(job.phase)}
          {job.total > 1 && ` ${amount(job)}`}
        </span>
        <span className="job-eta" data-testid="job-eta">
          {left === null ? `${seconds((now - job.startedAt) / 1000)} elapsed` : `about ${seconds(left)} left`}
        </span>
        <button
          className="secondary small"
          data-testid="job-cancel"
          disabled={job.cancelling}
          onClick={() => cancel(job.id)}
        >
          {job.cancelling ? 'Cancelling…' : 'Cancel'}
        </button>
      </div>
      <div
        className="progress"
        role="progressbar"
        aria-valuemin={0}
        aria-valuemax={100}
        aria-valuenow={Math.round(f * 100)}
        data-testid="job-progress"
      >
        <div className="progress-fill" style={{ width: `${(f * 100).toFixed(1)}%` }} />
      </div>
      {job.detail && <div className="job-detail">{job.detail}</div>}
    </div>
  );
}

/** Running and queued jobs of the given kinds, with progress bar, ETA and Cancel. */
export function Jobs({ kinds }: { kinds: JobKind[] }) {
  const all = useUi((s) => s.jobs);
  const jobs = Object.values(all).filter((j) => kinds.includes(j.kind));
  const now = useNow(jobs.length > 0);
  if (jobs.length === 0) return null;
  return (
    <div className="jobs">
      {jobs.map((j) => (
        <JobRow key={j.id} job={j} now={now} />
      ))}
    </div>
  );
}
