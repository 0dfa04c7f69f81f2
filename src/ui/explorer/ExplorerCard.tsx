/** The Explorer card of the Evaluate tab (issue 12 item 5): a model's 2-D map of the chosen split's queries
 * and documents, coloured by relevance to a selected query, and the glide when the model changes. */
import { useMemo, useState } from 'react';
import { useUi } from '../context';
import { Jobs } from '../Jobs';
import { ExplorerCanvas } from './ExplorerCanvas';
import { gradeColour, GRADE_LEGEND } from './plot';
import './explorer.css';

const pct = (x: number) => `${(100 * x).toFixed(1)} %`;

export function ExplorerCard() {
  const models = useUi((s) => s.models);
  const experts = useUi((s) => s.experts);
  const dataset = useUi((s) => s.dataset);
  const split = useUi((s) => s.split);
  const shown = useUi((s) => s.explorerShown);
  const qid = useUi((s) => s.explorerQid);
  const show = useUi((s) => s.showExplorer);
  const selectQuery = useUi((s) => s.selectExplorerQuery);
  const [model, setModel] = useState('');
  const chosen = model || shown?.view.model || models[0]?.id || '';
  const view = shown && shown.view.dataset === dataset && shown.view.split === split ? shown.view : null;
  const grades = useMemo(() => (view && qid ? (view.qrels[qid] ?? {}) : {}), [view, qid]);
  const topList = useMemo(() => (view && qid ? (view.top[qid] ?? []) : []), [view, qid]);
  const top = useMemo(() => new Set(topList.map((d) => d.id)), [topList]);
  const queries = view
    ? view.ids.flatMap((id, i) => (view.kinds[i] === 'query' ? [[id, view.titles[i]]] : []))
    : [];
  const docs = view ? view.kinds.filter((k) => k === 'doc').length : 0;
  const maxGrade = useMemo(() => {
    let m = 1;
    for (const g of Object.values(view?.qrels ?? {})) for (const v of Object.values(g)) m = Math.max(m, v);
    return m;
  }, [view]);
  const nameOf = (id: string) =>
    models.find((m) => m.id === id)?.name ?? experts.find((e) => `expert:${e.id}` === id)?.name ?? id;
  const relevantInTop = topList.filter((d) => (d.grade ?? 0) > 0).length;
  const hidden = topList.filter((d) => !d.shown).length;
  return (
    <div className="card" data-testid="explorer-card">
      <h2>Explorer</h2>
      <p className="muted small">
        Each dot is a document and each diamond a query, placed by the chosen model: its embedding (hundreds
        of numbers per text) is flattened onto the two directions along which the texts differ most (principal
        component analysis, computed on the GPU when the studio has one). Texts the model finds similar land
        close together, so a good retriever puts a query near the documents judged relevant to it.
      </p>
      <div className="row wrap form">
        <label className="field">
          <span>Model</span>
          <select
            data-testid="explorer-model"
            value={chosen}
            onChange={(e) => {
              setModel(e.target.value);
              // with a map on screen, another model glides the points to its map at once
              if (view) void show(e.target.value);
            }}
          >
            {models.map((m) => (
              <option key={m.id} value={m.id}>
                {m.name} (base)
              </option>
            ))}
            {experts.length > 0 && (
              <optgroup label="Experts and merges">
                {experts.map((e) => (
                  <option key={e.id} value={`expert:${e.id}`}>
                    {e.name} (on {e.baseModel})
                  </option>
                ))}
              </optgroup>
            )}
          </select>
        </label>
        <button
          data-testid="explorer-show"
          disabled={!dataset || !split || !chosen}
          onClick={() => void show(chosen)}
        >
          Show map
        </button>
        {view && (
          <label className="field">
            <span>Query</span>
            <select
              data-testid="explorer-query"
              value={qid ?? ''}
              onChange={(e) => selectQuery(e.target.value || null)}
            >
              {queries.map(([id, text]) => (
                <option key={id} value={id}>
                  {id}: {text.length > 70 ? `${text.slice(0, 69)}…` : text}
                </option>
              ))}
            </select>
          </label>
        )}
      </div>
      <Jobs kinds={['explorer']} />
      {view && shown && (
        <>
          <p className="small" data-testid="explorer-summary">
            <b>{nameOf(view.model)}</b> on {view.dataset}/{view.split}: {queries.length} queries and {docs} of{' '}
            {view.corpusDocs} documents. The two directions show {pct(view.explained[0])} and{' '}
            {pct(view.explained[1])} of the spread ({view.backend}, {view.seconds.toFixed(1)} s).
          </p>
          <div className="explorer-body">
            <ExplorerCanvas
              viewKey={shown.key}
              ids={view.ids}
              kinds={view.kinds}
              titles={view.titles}
              coords={shown.coords}
              grades={grades}
              top={top}
              selected={qid}
              onSelect={selectQuery}
            />
            <div className="explorer-side">
              <ul className="explorer-legend" data-testid="explorer-legend">
                {GRADE_LEGEND.filter((g) => (g.grade ?? 0) <= maxGrade).map((g) => (
                  <li key={g.label}>
                    <span className="dot" style={{ background: gradeColour(g.grade) }} /> {g.label}
                  </li>
                ))}
                <li>
                  <span className="ring" /> in the model&apos;s top 10 for the query
                </li>
                <li>
                  <span className="diamond" /> a query; the large blue one is selected (click another to
                  choose it)
                </li>
              </ul>
              {qid && (
                <div data-testid="explorer-top">
                  <b>Top 10 for query {qid}</b>: {relevantInTop} relevant
                  {view.topScope === 'sample' && ' (searched among the shown documents)'}
                  {hidden > 0 && `, ${hidden} not among the shown points`}
                  <ol className="small">
                    {topList.map((d) => (
                      <li key={d.id} className={(d.grade ?? 0) > 0 ? 'rel' : undefined}>
                        {(d.grade ?? 0) > 0 ? '✓' : d.grade === null ? '·' : '✗'} {d.title}
                      </li>
                    ))}
                  </ol>
                  <span className="muted small">✓ judged relevant, ✗ judged not relevant, · not judged</span>
                </div>
              )}
            </div>
          </div>
          <p className="muted small">
            Each model gets its own two directions; a new map is turned (rotated or mirrored) to best match
            the one on screen, so points move only where the models really differ.
          </p>
        </>
      )}
    </div>
  );
}
