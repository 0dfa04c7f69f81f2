/** The item in focus: its query, the answer (positive), the look-alike wrong answers, where it came from. */
import { useEffect, useState } from 'react';
import type { SynthItem } from '../../synth/types';
import { useUi } from '../context';
import { dateTime } from '../format';

/** What each provenance method means, in words. */
const METHOD_WORDS: Record<string, string> = {
  ict: 'a sentence taken from the document (ICT)',
  title: 'the title or a key phrase of the document',
  llm: 'a language model',
  import: 'an imported file',
  mined: 'BM25 look-alike search',
};
const methodWords = (m: string) => METHOD_WORDS[m] ?? m;

const STATUS_TEXT = { pending: 'waiting for review', accepted: 'accepted', rejected: 'rejected' } as const;

function Provenance({ item }: { item: SynthItem }) {
  const p = item.provenance;
  const settings = Object.entries(p.settings)
    .filter(([k]) => !k.startsWith('original'))
    .map(([k, v]) => `${k} ${String(v)}`)
    .join(', ');
  return (
    <dl className="synth-prov" data-testid="synth-provenance">
      <dt>Written by</dt>
      <dd>
        {methodWords(p.method)}
        {p.model ? ` (${p.model})` : p.method === 'llm' ? '' : ', no language model'}
      </dd>
      <dt>Settings</dt>
      <dd className="small">{settings || '—'}</dd>
      <dt>Written</dt>
      <dd>{dateTime(p.createdAt)}</dd>
      <dt>Document</dt>
      <dd className="mono">{item.docId || '—'}</dd>
      {item.score !== undefined && (
        <>
          <dt>Score</dt>
          <dd>{item.score.toFixed(3)}</dd>
        </>
      )}
      {item.decidedAt && (
        <>
          <dt>Last decision</dt>
          <dd>{dateTime(item.decidedAt)}</dd>
        </>
      )}
    </dl>
  );
}

export function ReviewItem({
  item,
  editing,
  setEditing,
}: {
  item: SynthItem;
  editing: boolean;
  setEditing: (v: boolean) => void;
}) {
  const save = useUi((s) => s.synthEdit);
  const toggle = useUi((s) => s.synthToggleFalseNegative);
  const [query, setQuery] = useState(item.query);
  const [positive, setPositive] = useState(item.positive);
  useEffect(() => {
    setQuery(item.query);
    setPositive(item.positive);
  }, [item, editing]);
  const submit = async () => {
    if (await save({ query, positive })) setEditing(false);
  };
  return (
    <article
      className={`synth-item ${item.status}`}
      data-testid="synth-item"
      data-id={item.id}
      data-status={item.status}
      aria-label={`item ${item.id}, ${STATUS_TEXT[item.status]}`}
    >
      <div className="row between">
        <span className={`synth-status ${item.status}`} data-testid="synth-item-status">
          {STATUS_TEXT[item.status]}
          {item.edited ? ' · edited' : ''}
        </span>
      </div>
      <h4>Query</h4>
      {editing ? (
        <textarea
          data-testid="synth-edit-query"
          className="synth-edit"
          rows={2}
          value={query}
          autoFocus
          onChange={(e) => setQuery(e.target.value)}
          onKeyDown={(e) => {
            if (e.key === 'Escape') setEditing(false);
            if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) void submit();
          }}
        />
      ) : (
        <p className="synth-query" data-testid="synth-query">
          {item.query}
        </p>
      )}
      <h4>Answer (the document it should find)</h4>
      {editing ? (
        <textarea
          data-testid="synth-edit-positive"
          className="synth-edit"
          rows={8}
          value={positive}
          onChange={(e) => setPositive(e.target.value)}
          onKeyDown={(e) => {
            if (e.key === 'Escape') setEditing(false);
            if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) void submit();
          }}
        />
      ) : (
        <div className="synth-text" data-testid="synth-positive" tabIndex={0} aria-label="answer text">
          {item.positive}
        </div>
      )}
      {editing && (
        <div className="row wrap">
          <button data-testid="synth-edit-save" onClick={() => void submit()}>
            Save and accept
          </button>
          <button className="secondary" data-testid="synth-edit-cancel" onClick={() => setEditing(false)}>
            Cancel
          </button>
          <span className="muted small">
            Ctrl+Enter saves, Esc cancels. The original text is kept with the item.
          </span>
        </div>
      )}
      <h4>Look-alike wrong answers ({item.negatives.length})</h4>
      {item.negatives.length === 0 ? (
        <p className="muted small">None: training contrasts this query with the other items&apos; answers.</p>
      ) : (
        <ol className="synth-negs">
          {item.negatives.map((n, i) => (
            <li
              key={i}
              data-testid="synth-negative"
              data-false={n.falseNegative === true}
              className={n.falseNegative ? 'false-neg' : ''}
            >
              <div className="synth-text small">{n.text}</div>
              <label className="synth-fn">
                <input
                  type="checkbox"
                  data-testid="synth-false-negative"
                  checked={n.falseNegative === true}
                  onChange={() => void toggle(i)}
                />
                This one also answers the query (false negative): do not use it as a wrong answer
              </label>
              <span className="muted small">
                found by {methodWords(n.provenance.method)}
                {n.docId ? ` · document ${n.docId}` : ''}
              </span>
            </li>
          ))}
        </ol>
      )}
      <h4>Where it came from</h4>
      <Provenance item={item} />
    </article>
  );
}
