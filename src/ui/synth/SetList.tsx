/** The synthetic sets: counts, review, export as JSONL, delete; import of a JSONL file as a new set. */
import { useRef } from 'react';
import { useUi } from '../context';
import { dateTime } from '../format';

export function SetList() {
  const sets = useUi((s) => s.synthSets);
  const current = useUi((s) => s.synthSet);
  const select = useUi((s) => s.selectSynthSet);
  const del = useUi((s) => s.deleteSynthSet);
  const importSynth = useUi((s) => s.importSynth);
  const file = useRef<HTMLInputElement>(null);
  return (
    <div data-testid="synth-sets">
      {sets.length === 0 ? (
        <p className="muted">No synthetic set yet: write queries above, or import a JSONL file.</p>
      ) : (
        <div className="table-scroll">
          <table className="table synth-sets">
            <thead>
              <tr>
                <th>Set</th>
                <th>Documents</th>
                <th>Method</th>
                <th>Items</th>
                <th>Accepted</th>
                <th>Rejected</th>
                <th>To review</th>
                <th>Created</th>
                <th />
              </tr>
            </thead>
            <tbody>
              {sets.map((s) => (
                <tr
                  key={s.id}
                  data-testid="synth-set-row"
                  data-name={s.name}
                  className={s.id === current ? 'selected' : ''}
                >
                  <td>{s.name}</td>
                  <td>{s.dataset || '—'}</td>
                  <td>{s.method}</td>
                  <td>{s.counts.total}</td>
                  <td data-testid="set-accepted">{s.counts.accepted}</td>
                  <td data-testid="set-rejected">{s.counts.rejected}</td>
                  <td>{s.counts.pending}</td>
                  <td>{dateTime(s.createdAt)}</td>
                  <td className="actions">
                    <button
                      className="small secondary"
                      data-testid="synth-set-review"
                      disabled={s.id === current}
                      onClick={() => void select(s.id)}
                    >
                      {s.id === current ? 'In review' : 'Review'}
                    </button>
                    <button
                      className="small danger"
                      data-testid="synth-set-delete"
                      onClick={() => void del(s.id)}
                    >
                      Delete…
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <div className="row wrap">
        <button className="secondary" data-testid="synth-import" onClick={() => file.current?.click()}>
          Import JSONL…
        </button>
        <input
          ref={file}
          type="file"
          accept=".jsonl,.json,application/jsonl"
          hidden
          data-testid="synth-import-file"
          onChange={(e) => {
            const f = e.target.files?.[0];
            e.target.value = '';
            if (f) void importSynth(f);
          }}
        />
        <span className="muted small">
          One {'{"query", "positive", "negative" or "negatives"}'} object per line (sentence-transformers). It
          becomes a new set to review; a bad line stops the import with its line number and nothing is stored.
        </span>
      </div>
    </div>
  );
}
