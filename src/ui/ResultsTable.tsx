import type { RunRecord } from '../store/db';
import type { MetricKey } from '../eval/types';
import { useUi } from './context';
import { METRICS } from './dashboard/table';
import { dateTime, metric, onActivate, seconds } from './format';
import { Help } from './help/Help';
import { metricHelp } from './help/metric-help';
import { leakage } from './leakage';
import { LeakMark } from './LeakMark';
import { retrieverName } from './state/names';

/** the run log's metric columns: the dashboard's metrics, in its order */
export const COLUMNS: readonly { key: MetricKey; label: string }[] = METRICS;

export function backendName(b: RunRecord['backend']): string {
  return b === 'webgpu' ? 'WebGPU' : b === 'cpu' ? 'CPU' : 'n/a (lexical)';
}

function groups(runs: RunRecord[]): [string, RunRecord[]][] {
  const by = new Map<string, RunRecord[]>();
  for (const r of runs) {
    const list = by.get(r.dataset);
    if (list) list.push(r);
    else by.set(r.dataset, [r]);
  }
  for (const rs of by.values())
    rs.sort(
      (a, b) =>
        a.split.localeCompare(b.split) ||
        a.retriever.localeCompare(b.retriever) ||
        b.createdAt.localeCompare(a.createdAt),
    );
  return [...by.entries()].sort(([a], [b]) => a.localeCompare(b));
}

/**
 * Best value of each metric per dataset split, to mark the winner, among the runs that may win: a run that
 * scored a model on its own training queries (or on queries it may have been trained on) never does.
 */
function bests(rs: RunRecord[]): Map<string, number> {
  const out = new Map<string, number>();
  for (const r of rs.filter((x) => leakage(x) === null))
    for (const c of COLUMNS) {
      const k = `${r.split}|${c.key}`;
      out.set(k, Math.max(out.get(k) ?? -Infinity, r.report.metrics[c.key] ?? -Infinity));
    }
  return out;
}

/** The instruction a dense run's queries ran under (absent: BM25, or a run stored before reports kept it). */
function RunPrompt({ run }: { run: RunRecord }) {
  const { instruction, queryTemplate } = run.report;
  if (instruction === undefined) return null;
  return (
    <span
      className="run-prompt small muted"
      data-testid="run-prompt"
      title={queryTemplate ? `query template: ${queryTemplate}` : undefined}
    >
      {instruction === null ? 'no instruction' : `prompt: “${instruction}”`}
    </span>
  );
}

export function ResultsTable() {
  const runs = useUi((s) => s.runs);
  const experts = useUi((s) => s.experts);
  const models = useUi((s) => s.models);
  const selected = useUi((s) => s.selectedRunId);
  const select = useUi((s) => s.selectRun);
  const remove = useUi((s) => s.deleteRun);
  if (runs.length === 0)
    return (
      <p className="muted" data-testid="no-results">
        No results yet: run an evaluation above.
      </p>
    );
  return (
    <div className="table-scroll">
      <table className="table results" data-testid="results-table">
        <thead>
          <tr>
            <th>Dataset</th>
            <th>Split</th>
            <th>Retriever</th>
            {COLUMNS.map((c) => (
              <th key={c.key} className="num">
                {c.label} <Help topic={c.label} text={metricHelp(c.key).text} />
              </th>
            ))}
            <th className="num">#Queries</th>
            <th>Backend</th>
            <th className="num">Time</th>
            <th>When</th>
            <th />
          </tr>
        </thead>
        {groups(runs).map(([dataset, rs]) => {
          const best = bests(rs);
          return (
            <tbody key={dataset} data-testid="results-group" data-dataset={dataset}>
              {rs.map((r) => [
                <tr
                  key={r.id}
                  className={`clickable${r.id === selected ? ' selected' : ''}${leakage(r) ? ' leaked' : ''}`}
                  data-testid="result-row"
                  data-run={r.id}
                  data-dataset={r.dataset}
                  data-retriever={r.retriever}
                  tabIndex={0}
                  aria-selected={r.id === selected}
                  onClick={() => void select(r.id === selected ? null : r.id)}
                  onKeyDown={onActivate(() => void select(r.id === selected ? null : r.id))}
                >
                  <td className="strong">{r.dataset}</td>
                  <td>{r.split}</td>
                  <td>
                    {retrieverName(r.retriever, { experts, models })}
                    <LeakMark run={r} />
                    <RunPrompt run={r} />
                  </td>
                  {COLUMNS.map((c) => {
                    const v = r.report.metrics[c.key];
                    return (
                      <td
                        key={c.key}
                        className={
                          !leakage(r) && v === best.get(`${r.split}|${c.key}`) && rs.length > 1
                            ? 'num best'
                            : 'num'
                        }
                        data-testid={`cell-${c.key}`}
                      >
                        {metric(v)}
                      </td>
                    );
                  })}
                  <td className="num">{r.report.queries}</td>
                  <td>{backendName(r.backend)}</td>
                  <td className="num">{seconds(r.report.seconds)}</td>
                  <td className="small">{dateTime(r.createdAt)}</td>
                  <td className="actions">
                    <button
                      className="link"
                      data-testid="delete-run"
                      aria-label="Delete run"
                      onClick={(e) => {
                        e.stopPropagation();
                        void remove(r.id);
                      }}
                    >
                      ×
                    </button>
                  </td>
                </tr>,
                ...(r.report.warnings ?? []).map((w, i) => (
                  <tr
                    key={`${r.id}-w${i}`}
                    className="run-warning"
                    data-testid="result-warning"
                    data-run={r.id}
                  >
                    <td colSpan={COLUMNS.length + 8} role="note">
                      ⚠ {w}
                    </td>
                  </tr>
                )),
              ])}
            </tbody>
          );
        })}
      </table>
    </div>
  );
}
