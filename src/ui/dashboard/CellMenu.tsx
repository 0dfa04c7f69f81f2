/** A dashboard cell's runs (the latest and the earlier ones) with their downloads: MTEB JSON and TREC run. */
import { useEffect, useRef } from 'react';
import type { MetricKey } from '../../eval/types';
import type { RunRecord } from '../../store/db';
import { useUi } from '../context';
import { download } from '../download';
import { dateTime, metric } from '../format';
import { backendName } from '../ResultsTable';
import { mtebFile, trecFile } from './exports';
import type { Cell } from './table';

export function CellMenu({
  cell,
  name,
  metricKey,
  metricLabel,
  onClose,
}: {
  cell: Cell;
  name: string;
  metricKey: MetricKey;
  metricLabel: string;
  onClose: () => void;
}) {
  const datasets = useUi((s) => s.datasets);
  const fetchHits = useUi((s) => s.fetchRunHits);
  const remove = useUi((s) => s.deleteRun);
  const box = useRef<HTMLDivElement>(null);
  // a press outside the menu (but not on a cell's opener, which toggles it) or Escape closes it
  useEffect(() => {
    const down = (e: PointerEvent) => {
      const t = e.target as Element | null;
      if (!box.current?.contains(t) && !t?.closest('[data-testid=cell-menu-open]')) onClose();
    };
    const key = (e: KeyboardEvent) => {
      if (e.key === 'Escape') onClose();
    };
    document.addEventListener('pointerdown', down);
    document.addEventListener('keydown', key);
    return () => {
      document.removeEventListener('pointerdown', down);
      document.removeEventListener('keydown', key);
    };
  }, [onClose]);
  const meta = datasets.find((d) => d.name === cell.run.dataset);
  const runs: RunRecord[] = [cell.run, ...cell.history];
  const mteb = (r: RunRecord) => {
    const f = mtebFile(r, meta, name);
    download(f.name, f.text, f.type);
  };
  const trec = async (r: RunRecord) => {
    const h = await fetchHits(r.id);
    if (!h) return;
    const f = trecFile(r, h.hits, h.kept);
    download(f.name, f.text, f.type);
  };
  return (
    <div
      ref={box}
      className="cell-menu"
      role="dialog"
      aria-label={`Runs of ${name} on ${cell.run.dataset}/${cell.run.split}`}
      data-testid="cell-menu"
      onClick={(e) => e.stopPropagation()}
    >
      <div className="row between">
        <strong>
          {name} · {cell.run.dataset}/{cell.run.split}
        </strong>
        <button className="link" aria-label="Close" onClick={onClose}>
          ×
        </button>
      </div>
      <table className="table compact">
        <thead>
          <tr>
            <th>When</th>
            <th className="num">{metricLabel}</th>
            <th>Backend</th>
            <th>Download</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {runs.map((r, i) => (
            <tr key={r.id} data-testid="cell-run" data-run={r.id}>
              <td className="small">
                {dateTime(r.createdAt)}
                {i === 0 ? ' (shown)' : ''}
              </td>
              <td className="num">{metric(r.report.metrics[metricKey])}</td>
              <td className="small">{backendName(r.backend)}</td>
              <td className="nowrap">
                <button
                  className="secondary small"
                  data-testid="download-mteb"
                  title="MTEB results JSON (scores.test[0].ndcg_at_10 …) of this run"
                  onClick={() => mteb(r)}
                >
                  MTEB JSON
                </button>{' '}
                <button
                  className="secondary small"
                  data-testid="download-trec"
                  title="TREC run file of the hits this run kept (the best 100 per query unless set otherwise)"
                  onClick={() => void trec(r)}
                >
                  TREC run
                </button>
              </td>
              <td>
                <button
                  className="link"
                  data-testid="cell-delete-run"
                  aria-label="Delete run"
                  onClick={() => void remove(r.id)}
                >
                  ×
                </button>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {cell.history.length > 0 && (
        <p className="muted small">
          The table shows the latest run; the {cell.history.length} earlier one
          {cell.history.length === 1 ? ' is' : 's are'} kept here.
        </p>
      )}
    </div>
  );
}
