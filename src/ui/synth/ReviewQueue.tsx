/**
 * The review queue of the selected set: counts and a progress bar, filters, bulk accept/reject of what
 * the filter shows, export, the item in focus with its buttons, and the keyboard shortcuts (shown).
 */
import { useEffect, useState } from 'react';
import type { ReviewPolicy, ReviewStatus } from '../../synth/types';
import { plural } from '../../util/words';
import { useUi } from '../context';
import { reviewAction, SHORTCUTS } from './keys';
import { ReviewItem } from './ReviewItem';

function download(name: string, text: string): void {
  const url = URL.createObjectURL(new Blob([text], { type: 'application/jsonl' }));
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

const score = (v: string): number | undefined =>
  v.trim() === '' || !Number.isFinite(Number(v)) ? undefined : Number(v);

function Filters() {
  const f = useUi((s) => s.synthFilter);
  const methods = useUi((s) => s.synthPage?.methods ?? []);
  const setFilter = useUi((s) => s.setSynthFilter);
  const [lo, setLo] = useState(f.minScore?.toString() ?? '');
  const [hi, setHi] = useState(f.maxScore?.toString() ?? '');
  const applyScores = () => void setFilter({ ...f, minScore: score(lo), maxScore: score(hi) });
  return (
    <div className="row wrap form synth-filters" data-testid="synth-filters">
      <label className="field">
        <span>Show</span>
        <select
          data-testid="synth-filter-status"
          value={f.status ?? ''}
          onChange={(e) =>
            void setFilter({ ...f, status: (e.target.value || undefined) as ReviewStatus | undefined })
          }
        >
          <option value="">every item</option>
          <option value="pending">waiting for review</option>
          <option value="accepted">accepted</option>
          <option value="rejected">rejected</option>
        </select>
      </label>
      <label className="field">
        <span>Written by</span>
        <select
          data-testid="synth-filter-method"
          value={f.method ?? ''}
          onChange={(e) => void setFilter({ ...f, method: e.target.value || undefined })}
        >
          <option value="">any method</option>
          {methods.map((m) => (
            <option key={m} value={m}>
              {m}
            </option>
          ))}
        </select>
      </label>
      <label
        className="field narrow"
        title="Only items whose method gives a score (title/key-phrase queries); items without one are hidden by a score bound"
      >
        <span>Score from</span>
        <input
          data-testid="synth-filter-min"
          inputMode="decimal"
          value={lo}
          onChange={(e) => setLo(e.target.value)}
          onBlur={applyScores}
        />
      </label>
      <label className="field narrow">
        <span>to</span>
        <input
          data-testid="synth-filter-max"
          inputMode="decimal"
          value={hi}
          onChange={(e) => setHi(e.target.value)}
          onBlur={applyScores}
        />
      </label>
    </div>
  );
}

export function ReviewQueue() {
  const setId = useUi((s) => s.synthSet);
  const page = useUi((s) => s.synthPage);
  const focus = useUi((s) => s.synthFocus);
  const undoable = useUi((s) => s.synthUndo.length);
  const move = useUi((s) => s.synthMove);
  const setStatus = useUi((s) => s.synthSetStatus);
  const undo = useUi((s) => s.synthUndoLast);
  const bulk = useUi((s) => s.synthBulk);
  const exportSynth = useUi((s) => s.exportSynth);
  const [editing, setEditing] = useState(false);
  const [policy, setPolicy] = useState<ReviewPolicy>('accepted');
  const [exported, setExported] = useState<string | null>(null);
  const item = page?.items[focus];

  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (editing) return;
      const action = reviewAction(e);
      if (!action) return;
      e.preventDefault();
      if (action === 'next') void move(1);
      else if (action === 'prev') void move(-1);
      else if (action === 'accept') void setStatus('accepted');
      else if (action === 'reject') void setStatus('rejected');
      else if (action === 'undo') void undo();
      else if (action === 'edit' && item) setEditing(true);
    };
    document.addEventListener('keydown', onKey);
    return () => document.removeEventListener('keydown', onKey);
  }, [editing, item, move, setStatus, undo]);
  useEffect(() => setEditing(false), [item?.id]);

  if (!setId || !page)
    return <p className="muted">Choose a set above (Review) to check its items one by one.</p>;
  const c = page.set.counts;
  const reviewed = c.accepted + c.rejected;
  const pct = c.total ? (100 * reviewed) / c.total : 0;
  const doExport = async () => {
    const r = await exportSynth(policy);
    if (!r) return;
    download(r.fileName, r.text);
    setExported(`${r.fileName}: ${plural(r.count, 'line')}`);
  };
  return (
    <div className="synth-review" data-testid="synth-review">
      <div className="synth-head">
        <strong data-testid="synth-review-name">{page.set.name}</strong>
        <span data-testid="synth-progress-text">
          {reviewed} of {c.total} reviewed · {c.accepted} accepted · {c.rejected} rejected · {c.pending}{' '}
          waiting
        </span>
        <div
          className="progress synth-bar"
          role="progressbar"
          aria-label="items reviewed"
          aria-valuemin={0}
          aria-valuemax={c.total}
          aria-valuenow={reviewed}
          data-testid="synth-progress"
        >
          <div className="progress-fill" style={{ width: `${pct}%` }} />
        </div>
      </div>
      <Filters />
      <div className="row wrap synth-bulk">
        <span className="muted small" data-testid="synth-shown">
          {plural(page.total, 'item')} shown by the filter
        </span>
        <button
          className="small secondary"
          data-testid="synth-bulk-accept"
          disabled={page.total === 0}
          onClick={() => void bulk('accepted')}
        >
          Accept all shown…
        </button>
        <button
          className="small secondary"
          data-testid="synth-bulk-reject"
          disabled={page.total === 0}
          onClick={() => void bulk('rejected')}
        >
          Reject all shown…
        </button>
        <span className="synth-export">
          <select
            data-testid="synth-export-policy"
            value={policy}
            onChange={(e) => setPolicy(e.target.value as ReviewPolicy)}
            aria-label="items to export"
          >
            <option value="accepted">accepted items only</option>
            <option value="not-rejected">all but rejected</option>
          </select>
          <button className="small secondary" data-testid="synth-export" onClick={() => void doExport()}>
            Export JSONL
          </button>
          {exported && (
            <span className="muted small" data-testid="synth-exported">
              saved {exported}
            </span>
          )}
        </span>
      </div>
      <div className="synth-main">
        <div className="synth-focus">
          {item ? (
            <>
              <div className="row wrap synth-actions">
                <span data-testid="synth-position">
                  Item {page.offset + focus + 1} of {page.total}
                </span>
                <button
                  className="small secondary"
                  data-testid="synth-prev"
                  onClick={() => void move(-1)}
                  title="k or ↑"
                >
                  ← Previous
                </button>
                <button
                  className="small secondary"
                  data-testid="synth-next"
                  onClick={() => void move(1)}
                  title="j or ↓"
                >
                  Next →
                </button>
                <button
                  className="small good"
                  data-testid="synth-accept"
                  onClick={() => void setStatus('accepted')}
                  title="a"
                >
                  Accept
                </button>
                <button
                  className="small danger"
                  data-testid="synth-reject"
                  onClick={() => void setStatus('rejected')}
                  title="r"
                >
                  Reject
                </button>
                <button
                  className="small secondary"
                  data-testid="synth-edit"
                  onClick={() => setEditing(true)}
                  title="e"
                >
                  Edit
                </button>
                <button
                  className="small secondary"
                  data-testid="synth-undo"
                  disabled={undoable === 0}
                  onClick={() => void undo()}
                  title="u"
                >
                  Undo
                </button>
              </div>
              <ReviewItem item={item} editing={editing} setEditing={setEditing} />
            </>
          ) : (
            <p className="muted" data-testid="synth-empty">
              No item is shown by this filter.
            </p>
          )}
        </div>
        <aside className="synth-help" data-testid="synth-shortcuts" aria-label="keyboard shortcuts">
          <h4>Keys</h4>
          <dl>
            {SHORTCUTS.map((s) => (
              <div key={s.keys}>
                <dt>
                  <kbd>{s.keys}</kbd>
                </dt>
                <dd>{s.what}</dd>
              </div>
            ))}
          </dl>
          <p className="muted small">
            Accept keeps the item for training, Reject leaves it out; both are saved at once and move to the
            next item. Not while typing in a field.
          </p>
        </aside>
      </div>
    </div>
  );
}
