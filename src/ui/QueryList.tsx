import { useState } from 'react';
import type { RunRecord } from '../store/db';
import { useUi } from './context';
import { metric, onActivate } from './format';
import { LeakMark } from './LeakMark';
import { retrieverName } from './state/names';

type Sort = 'worst' | 'best' | 'qid';

function byQid(a: string, b: string): number {
  const na = Number(a);
  const nb = Number(b);
  return Number.isFinite(na) && Number.isFinite(nb) ? na - nb : a.localeCompare(b);
}

/** The per-query metrics of one run; a click opens the drill-down. */
export function QueryList({ run }: { run: RunRecord }) {
  const texts = useUi((s) => (s.queryTexts?.dataset === run.dataset ? s.queryTexts.texts : null));
  const selected = useUi((s) => s.selectedQid);
  const experts = useUi((s) => s.experts);
  const models = useUi((s) => s.models);
  const select = useUi((s) => s.selectQuery);
  const [sort, setSort] = useState<Sort>('worst');
  const rows = Object.entries(run.report.perQuery);
  rows.sort(([qa, a], [qb, b]) =>
    sort === 'qid'
      ? byQid(qa, qb)
      : (sort === 'worst' ? 1 : -1) * (a['ndcg@10'] - b['ndcg@10']) || byQid(qa, qb),
  );
  return (
    <div className="card query-list" data-testid="query-list">
      <div className="row between">
        <h3>
          Queries · {retrieverName(run.retriever, { experts, models })} on {run.dataset}/{run.split}
          <LeakMark run={run} />
        </h3>
        <label className="field inline">
          <span>Sort</span>
          <select value={sort} onChange={(e) => setSort(e.target.value as Sort)} data-testid="query-sort">
            <option value="worst">nDCG@10, worst first</option>
            <option value="best">nDCG@10, best first</option>
            <option value="qid">query id</option>
          </select>
        </label>
      </div>
      <div className="scroll">
        <table className="table compact">
          <thead>
            <tr>
              <th>Id</th>
              <th>Query</th>
              <th className="num">nDCG@10</th>
              <th className="num">R@100</th>
            </tr>
          </thead>
          <tbody>
            {rows.map(([qid, m]) => (
              <tr
                key={qid}
                className={qid === selected ? 'clickable selected' : 'clickable'}
                data-testid="query-row"
                data-qid={qid}
                tabIndex={0}
                aria-selected={qid === selected}
                onClick={() => void select(qid)}
                onKeyDown={onActivate(() => void select(qid))}
              >
                <td className="mono">{qid}</td>
                <td className="query-text">{texts?.[qid] ?? ''}</td>
                <td className="num">{metric(m['ndcg@10'])}</td>
                <td className="num">{metric(m['recall@100'])}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </div>
  );
}
