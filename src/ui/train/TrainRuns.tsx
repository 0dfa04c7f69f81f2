/** Stored training runs: status (an unfinished run after a reload reads "interrupted at step k"), Resume, Delete. */
import { useState } from 'react';
import type { TrainRunRecord } from '../../store/training-types';
import { plural } from '../../util/words';
import { useUi } from '../context';
import { dateTime } from '../format';
import { TrainPlot } from './TrainPlot';

function statusText(r: TrainRunRecord, live: boolean): string {
  if (live) return 'training…';
  switch (r.status) {
    case 'running':
      return `interrupted at step ${r.step}`;
    case 'cancelled':
      return `cancelled at step ${r.step}`;
    case 'failed':
      return `failed at step ${r.step}: ${r.error ?? ''}`;
    case 'done':
      return 'done';
  }
}

export function TrainRuns() {
  const runs = useUi((s) => s.trainRuns);
  const liveId = useUi((s) => s.training?.runId ?? null);
  const busy = useUi((s) => s.training !== null);
  const resume = useUi((s) => s.resumeTraining);
  const del = useUi((s) => s.deleteTrainRun);
  const [open, setOpen] = useState<string | null>(null);
  if (runs.length === 0) return <p className="muted">No training runs yet.</p>;
  const shown = runs.find((r) => r.id === open);
  return (
    <>
      <table className="table" data-testid="train-runs">
        <thead>
          <tr>
            <th>Run</th>
            <th>Base</th>
            <th>Method</th>
            <th>Data</th>
            <th>Steps</th>
            <th>Status</th>
            <th>Started</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {runs.map((r) => {
            const live = r.id === liveId;
            return (
              <tr
                key={r.id}
                data-testid="train-run-row"
                data-status={live ? 'live' : r.status}
                data-step={r.step}
                onClick={() => setOpen(open === r.id ? null : r.id)}
                className={open === r.id ? 'selected' : ''}
              >
                <td>{r.spec.name}</td>
                <td>{r.spec.baseModel}</td>
                <td>{r.spec.config.method}</td>
                <td>
                  {r.spec.data.kind === 'dataset'
                    ? `${r.spec.data.dataset}/${r.spec.data.split}`
                    : r.spec.data.kind === 'synth'
                      ? `synthetic set "${r.synth?.name ?? r.spec.data.set}" (${r.spec.data.policy === 'accepted' ? 'accepted only' : 'all but rejected'})`
                      : r.spec.data.fileName}{' '}
                  ({plural(r.pairs, 'pair')}
                  {r.spec.mining ? `, ${r.spec.mining.negatives} mined neg.` : ''})
                </td>
                <td>
                  {r.step} / {r.totalSteps}
                </td>
                <td data-testid="run-status">{statusText(r, live)}</td>
                <td>{dateTime(r.createdAt)}</td>
                <td className="actions" onClick={(e) => e.stopPropagation()}>
                  {r.status !== 'done' && !live && (
                    <button
                      className="small"
                      data-testid="run-resume"
                      disabled={busy}
                      onClick={() => void resume(r.id)}
                    >
                      Resume
                    </button>
                  )}
                  {!live && (
                    <button
                      className="secondary small"
                      data-testid="run-delete"
                      onClick={() => void del(r.id)}
                    >
                      Delete
                    </button>
                  )}
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
      {shown && shown.history.length > 0 && (
        <TrainPlot history={shown.history} totalSteps={shown.totalSteps} />
      )}
    </>
  );
}
