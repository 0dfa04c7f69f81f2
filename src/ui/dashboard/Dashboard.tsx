/**
 * The Evaluate tab's dashboard: tasks as columns (medical, general), a row per retriever with its latest
 * run on each task, group means, sorting, a metric picker, a bar chart of one task, two rows compared
 * with paired significance tests, and CSV / MTEB JSON / TREC downloads.
 */
import { useCallback, useMemo, useState } from 'react';
import type { MetricKey } from '../../eval/types';
import { useUi } from '../context';
import { download } from '../download';
import { retrieverName } from '../state/names';
import { BarChart } from './BarChart';
import { MeanCell, SortHeader, TaskCell } from './DashCells';
import { compareRows, mark } from './compare';
import { dashboardCsv } from './csv';
import { Significance } from './Significance';
import {
  buildTable,
  MEAN_KEYS,
  METRICS,
  nextSort,
  sortRows,
  type MeanKey,
  type Row,
  type Sort,
  type SortColumn,
  type Task,
} from './table';
import './dashboard.css';

const KIND_LABEL: Record<Row['kind'], string> = {
  bm25: 'lexical',
  hybrid: 'hybrid',
  model: 'base model',
  expert: 'expert',
  merge: 'merge',
};
const MEAN_LABEL: Record<MeanKey, string> = { medical: 'Medical', general: 'General', all: 'All tasks' };

export function Dashboard() {
  const runs = useUi((s) => s.runs);
  const datasets = useUi((s) => s.datasets);
  const experts = useUi((s) => s.experts);
  const models = useUi((s) => s.models);
  const selected = useUi((s) => s.selectedRunId);
  const select = useUi((s) => s.selectRun);
  const [metricKey, setMetric] = useState<MetricKey>('ndcg@10');
  const [sort, setSort] = useState<Sort | null>(null);
  const [open, setOpen] = useState<string | null>(null);
  const [a, setA] = useState('');
  const [b, setB] = useState('');
  const [chartTask, setChartTask] = useState<string | null>(null);
  const closeMenu = useCallback(() => setOpen(null), []);
  const name = useCallback((r: string) => retrieverName(r, { experts, models }), [experts, models]);
  const merges = useMemo(
    () => new Set(experts.filter((e) => e.merge).map((e) => `expert:${e.id}`)),
    [experts],
  );
  const table = useMemo(
    () => buildTable(runs, datasets, metricKey, { merges, name }),
    [runs, datasets, metricKey, merges, name],
  );
  const rows = sort ? sortRows(table.rows, sort, name) : table.rows;
  const rowA = table.rows.find((r) => r.retriever === a);
  const rowB = table.rows.find((r) => r.retriever === b);
  const comparisons = useMemo(
    () => (rowA && rowB && rowA !== rowB ? compareRows(rowA, rowB, table.tasks, metricKey) : null),
    [rowA, rowB, table.tasks, metricKey],
  );
  const metricInfo = METRICS.find((m) => m.key === metricKey) ?? METRICS[0];
  if (runs.length === 0)
    return (
      <p className="muted" data-testid="no-results">
        No results yet: run an evaluation above.
      </p>
    );
  const groups = (['medical', 'general'] as const)
    .map((g) => ({ g, tasks: table.tasks.filter((t) => t.group === g) }))
    .filter((x) => x.tasks.length > 0);
  const task: Task = table.tasks.find((t) => t.key === chartTask) ?? table.tasks[0];
  const onSort = (c: SortColumn) => setSort(nextSort(sort, c));
  const warnings = table.rows.flatMap((r) =>
    table.tasks.flatMap((t) => {
      const c = r.cells.get(t.key);
      return (c?.run.report.warnings ?? []).map((w) => ({ r, t, w }));
    }),
  );
  return (
    <div className="dashboard" data-testid="dashboard">
      <div className="row wrap form">
        <label className="field">
          <span>Metric</span>
          <select
            data-testid="dash-metric"
            value={metricKey}
            onChange={(e) => setMetric(e.target.value as MetricKey)}
          >
            {METRICS.map((m) => (
              <option key={m.key} value={m.key}>
                {m.label}
              </option>
            ))}
          </select>
        </label>
        <span className="muted small metric-explain" data-testid="dash-metric-explain">
          {metricInfo.label}: {metricInfo.explain}; 0–1, higher is better.
        </span>
        <button
          className="secondary"
          data-testid="download-csv"
          onClick={() =>
            download(
              `stm-dashboard-${metricKey.replace('@', '_at_')}.csv`,
              dashboardCsv(table, name),
              'text/csv',
            )
          }
        >
          Download CSV
        </button>
      </div>
      <div className="table-scroll">
        <table className="table dash" data-testid="dash-table" data-metric={metricKey}>
          <thead>
            <tr>
              <SortHeader column="name" sort={sort} onSort={onSort} rowSpan={2} className="corner">
                Retriever
              </SortHeader>
              {groups.map(({ g, tasks }) => (
                <th key={g} colSpan={tasks.length} className={`group-head ${g}`} data-testid="group-head">
                  {g === 'medical' ? 'Medical tasks' : 'General tasks'}
                </th>
              ))}
              <th colSpan={MEAN_KEYS.length} className="group-head means">
                Mean {metricInfo.label}
              </th>
            </tr>
            <tr>
              {groups.flatMap(({ tasks }) =>
                tasks.map((t) => (
                  <SortHeader
                    key={t.key}
                    column={`task:${t.key}`}
                    sort={sort}
                    onSort={onSort}
                    className="num"
                    title={`${t.key} (${t.group})`}
                  >
                    {t.dataset}
                    <span className="split">/{t.split}</span>
                  </SortHeader>
                )),
              )}
              {MEAN_KEYS.map((g) => (
                <SortHeader
                  key={g}
                  column={`mean:${g}`}
                  sort={sort}
                  onSort={onSort}
                  className="num mean-head"
                  title={`mean over the ${g === 'all' ? '' : `${g} `}tasks the row was run on`}
                >
                  {MEAN_LABEL[g]}
                </SortHeader>
              ))}
            </tr>
          </thead>
          <tbody>
            {rows.map((r) => (
              <tr
                key={r.retriever}
                data-testid="dash-row"
                data-retriever={r.retriever}
                className={r === rowA ? 'picked-a' : r === rowB ? 'picked-b' : undefined}
              >
                <th scope="row" className="row-name">
                  <span data-testid="dash-row-name">{name(r.retriever)}</span>
                  {r === rowA && <span className="ab">A</span>}
                  {r === rowB && <span className="ab">B</span>}
                  <div className="muted small">{KIND_LABEL[r.kind]}</div>
                </th>
                {groups.flatMap(({ tasks }) =>
                  tasks.map((t) => {
                    const sig =
                      r === rowB && comparisons ? mark(comparisons.find((x) => x.task.key === t.key)) : '';
                    const menuKey = `${r.retriever}|${t.key}`;
                    return (
                      <TaskCell
                        key={t.key}
                        task={t}
                        cell={r.cells.get(t.key)}
                        name={name(r.retriever)}
                        best={table.best.get(t.key)}
                        sig={sig}
                        selected={selected}
                        onSelect={(id) => void select(id)}
                        menuOpen={open === menuKey}
                        onMenu={() => setOpen(open === menuKey ? null : menuKey)}
                        onCloseMenu={closeMenu}
                        metricKey={metricKey}
                        metricLabel={metricInfo.label}
                      />
                    );
                  }),
                )}
                {MEAN_KEYS.map((g) => (
                  <MeanCell key={g} group={g} mean={r.means[g]} best={table.best.get(`mean:${g}`)} />
                ))}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <p className="muted small legend" data-testid="dash-legend">
        Each cell is the latest run of that retriever on that task (click it for its queries; ⋯ or +n: its
        runs, earlier ones included, and downloads). Means are over the tasks a row was run on; n/N says how
        many of the group&apos;s tasks — a dimmed mean covers fewer and is not comparable with a full one.
        Bold: best in the column (⚠ runs scored on training queries never count).
        {comparisons && ' ▲/▼ beside B: B above / below A with randomisation p < 0.05.'}
      </p>
      {warnings.map(({ r, t, w }, i) => (
        <p key={i} className="run-warning-line" data-testid="dash-warning" role="note">
          ⚠ {name(r.retriever)} on {t.key}: {w}
        </p>
      ))}
      <div className="row wrap dash-lower">
        <div className="chart-box">
          <label className="field inline">
            <span>Bars of task</span>
            <select
              data-testid="dash-chart-task"
              value={task.key}
              onChange={(e) => setChartTask(e.target.value)}
            >
              {table.tasks.map((t) => (
                <option key={t.key} value={t.key}>
                  {t.key} ({t.group})
                </option>
              ))}
            </select>
          </label>
          <BarChart rows={rows} task={task} name={name} metricLabel={metricInfo.label} />
        </div>
      </div>
      <div className="compare-pick row wrap">
        <strong>Is the difference real?</strong>
        <label className="field inline">
          <span>A</span>
          <select data-testid="compare-a" value={a} onChange={(e) => setA(e.target.value)}>
            <option value="">choose…</option>
            {table.rows.map((r) => (
              <option key={r.retriever} value={r.retriever}>
                {name(r.retriever)}
              </option>
            ))}
          </select>
        </label>
        <label className="field inline">
          <span>against B</span>
          <select data-testid="compare-b" value={b} onChange={(e) => setB(e.target.value)}>
            <option value="">choose…</option>
            {table.rows.map((r) => (
              <option key={r.retriever} value={r.retriever}>
                {name(r.retriever)}
              </option>
            ))}
          </select>
        </label>
        {rowA && rowB && rowA === rowB && <span className="muted small">Pick two different rows.</span>}
      </div>
      {rowA && rowB && comparisons && (
        <Significance
          rowA={rowA}
          rowB={rowB}
          nameA={name(rowA.retriever)}
          nameB={name(rowB.retriever)}
          comparisons={comparisons}
          metricLabel={metricInfo.label}
        />
      )}
    </div>
  );
}
