/** The run in flight: step counter, progress bar with ETA, loss / dev nDCG plot, Cancel. */
import { useUi } from '../context';
import { phaseLabel, seconds } from '../format';
import { TrainPlot } from './TrainPlot';

export function TrainLive() {
  const t = useUi((s) => s.training);
  const job = useUi((s) => (s.training ? s.jobs[s.training.jobId] : undefined));
  const cancel = useUi((s) => s.cancelJob);
  const run = useUi((s) => s.trainRuns.find((r) => r.id === s.training?.runId));
  if (!t) return null;
  const last = t.history[t.history.length - 1];
  const total = last?.totalSteps ?? run?.totalSteps ?? t.totalSteps;
  const step = last?.step ?? t.startStep;
  const f = Math.min(1, step / Math.max(1, total));
  const phase = job?.phase ?? 'queued';
  const lastDev = [...t.history].reverse().find((h) => h.devNdcg10 !== undefined)?.devNdcg10;
  return (
    <div className="train-live" data-testid="train-live" data-run={t.runId ?? ''}>
      <div className="job-head">
        <span className="job-label">{t.name}</span>
        <span data-testid="train-step" data-step={step}>
          step {step} / {total}
        </span>
        {t.startStep > 0 && (
          <span className="muted small" data-testid="train-resumed-from">
            resumed from step {t.startStep}
          </span>
        )}
        <span className="job-phase">
          {phase === 'train' || phase === 'checkpoint'
            ? last
              ? `loss ${last.loss.toFixed(4)} · lr ${last.lr.toExponential(1)}`
              : ''
            : phaseLabel(phase)}
        </span>
        <span className="job-eta" data-testid="train-eta">
          {last && step > t.startStep
            ? Number.isFinite(last.etaS)
              ? `about ${seconds(last.etaS)} left`
              : 'estimating the time left…'
            : ''}
        </span>
        <button
          className="secondary small"
          data-testid="train-cancel"
          disabled={job?.cancelling}
          onClick={() => cancel(t.jobId)}
        >
          {job?.cancelling ? 'Cancelling…' : 'Cancel'}
        </button>
      </div>
      <div
        className="progress"
        role="progressbar"
        aria-valuemin={0}
        aria-valuemax={100}
        aria-valuenow={Math.round(f * 100)}
        data-testid="train-progress"
      >
        <div className="progress-fill" style={{ width: `${(f * 100).toFixed(1)}%` }} />
      </div>
      {lastDev !== undefined && (
        <p className="small">
          dev nDCG@10 <b data-testid="train-dev">{lastDev.toFixed(3)}</b>
        </p>
      )}
      <TrainPlot history={t.history} totalSteps={total} />
    </div>
  );
}
