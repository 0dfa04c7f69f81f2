/**
 * The guided demo's card (issue 12 item 6): one button, then the steps as they happen (each a job with its
 * progress in Jobs), Cancel, and a results card with the three nDCG@10 and what they mean.
 */
import { useUi } from './context';
import { metric } from './format';
import { GUIDED } from './state/guided';
import type { GuidedDemo as Demo, GuidedStatus } from './state/types';
import { METRIC_HELP } from './help/metric-help';

const ICON: Record<GuidedStatus, string> = {
  pending: '○',
  running: '◐',
  done: '✓',
  failed: '✗',
  cancelled: '–',
};

function Results({ g }: { g: Demo }) {
  const setTab = useUi((s) => s.setTab);
  const { bm25, base, expert } = g.scores;
  if (bm25 === undefined || base === undefined || expert === undefined) return null;
  const rows = [
    [
      'bm25',
      'BM25',
      bm25,
      'word matching: scores passages by the query’s words they contain; nothing learned.',
    ],
    [
      'base',
      'Base model (USE-lite)',
      base,
      'a general-purpose neural embedding: finds passages by meaning, but never saw this collection.',
    ],
    [
      'expert',
      GUIDED.expertName,
      expert,
      `the base plus a small adapter trained for ${GUIDED.steps} steps on the other half of the queries; these test queries it never saw.`,
    ],
  ] as const;
  const d = expert - base;
  const held = 'the held-out queries';
  return (
    <div className="guided-results" data-testid="guided-results">
      <h3>What changed</h3>
      <p className="small">
        <strong>nDCG@10</strong> on {held}: {METRIC_HELP['ndcg@10']?.text}
      </p>
      <table className="table guided-table">
        <tbody>
          {rows.map(([id, name, v, what]) => (
            <tr key={id} data-testid="guided-score" data-id={id} data-value={v}>
              <th scope="row">{name}</th>
              <td className="num strong">{metric(v)}</td>
              <td className="guided-bar-cell">
                <span
                  className={`guided-bar ${id}`}
                  style={{ width: `${Math.max(0, Math.min(1, v)) * 100}%` }}
                />
              </td>
              <td className="small muted">{what}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <p data-testid="guided-verdict">
        {d > 0
          ? `The expert ranks the relevant passages higher than the base: nDCG@10 +${d.toFixed(3)}.`
          : d < 0
            ? `The expert ranks the relevant passages lower than the base: nDCG@10 ${d.toFixed(3)} — a small run can overfit its few training queries.`
            : 'The expert and the base score the same.'}{' '}
        {expert > bm25
          ? 'It also beats BM25.'
          : 'BM25 is still ahead: word matching is strong on a small collection whose queries share words with their answers.'}{' '}
        With 24 test queries, a difference below about 0.03 can be chance: open the Evaluate tab to see, query
        by query, where each model wins and loses.
      </p>
      <button className="small" data-testid="guided-open-evaluate" onClick={() => setTab('evaluate')}>
        See the rankings in Evaluate
      </button>
    </div>
  );
}

export function GuidedDemo() {
  const g = useUi((s) => s.guided);
  const start = useUi((s) => s.startGuidedDemo);
  const cancel = useUi((s) => s.cancelGuidedDemo);
  const close = useUi((s) => s.closeGuidedDemo);
  const training = useUi((s) => s.training);
  const running = g?.status === 'running';
  return (
    <div className="card guided" data-testid="guided-demo" data-status={g?.status ?? 'idle'}>
      <h2>Guided demo</h2>
      <p className="muted">
        One click, offline: loads the demo collection, evaluates BM25 and the base model, trains a small
        expert on half of the queries, and shows on the other half whether it got better — about a minute on a
        laptop.
      </p>
      <div className="row wrap">
        <button
          data-testid="guided-start"
          onClick={() => void start()}
          disabled={running || training !== null}
        >
          {g ? 'Run the guided demo again' : 'Start the guided demo'}
        </button>
        {running && (
          <button className="secondary" data-testid="guided-cancel" onClick={cancel}>
            Cancel
          </button>
        )}
        {g && !running && (
          <button className="secondary" data-testid="guided-close" onClick={close}>
            Close
          </button>
        )}
      </div>
      {g && (
        <ol className="guided-steps" data-testid="guided-steps">
          {g.steps.map((s) => (
            <li
              key={s.id}
              className={`guided-step ${s.status}`}
              data-testid="guided-step"
              data-id={s.id}
              data-status={s.status}
            >
              <span className="guided-icon" aria-hidden>
                {ICON[s.status]}
              </span>{' '}
              {s.label}
              {s.id === 'train' && s.status === 'running' && training && training.history.length > 0 && (
                <span className="muted small">
                  {' '}
                  — step {training.history[training.history.length - 1].step} of {training.totalSteps}, loss{' '}
                  {training.history[training.history.length - 1].loss.toFixed(3)}
                </span>
              )}
              {s.detail && <span className="muted small"> — {s.detail}</span>}
            </li>
          ))}
        </ol>
      )}
      {g?.status === 'cancelled' && (
        <p className="muted" data-testid="guided-cancelled">
          Cancelled; what finished is kept.
        </p>
      )}
      {g && <Results g={g} />}
    </div>
  );
}
