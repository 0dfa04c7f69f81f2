/** "Is the difference real?": B against A per task (means, difference, two p-values), then per query. */
import { useState } from 'react';
import { ALPHA, PERMUTATIONS } from '../../eval/significance';
import { metric, onActivate } from '../format';
import type { TaskComparison } from './compare';
import { mark } from './compare';
import { Scatter } from './Scatter';
import { SideBySide } from './SideBySide';
import type { Row } from './table';

function p(v: number): string {
  if (Number.isNaN(v)) return '—';
  return v < 0.001 ? '< 0.001' : v.toFixed(3);
}

function signed(v: number): string {
  return `${v > 0 ? '+' : v < 0 ? '−' : '±'}${Math.abs(v).toFixed(3)}`;
}

export function Significance({
  rowA,
  rowB,
  nameA,
  nameB,
  comparisons,
  metricLabel,
}: {
  rowA: Row;
  rowB: Row;
  nameA: string;
  nameB: string;
  comparisons: TaskComparison[];
  metricLabel: string;
}) {
  const tested = comparisons.filter((c): c is Extract<TaskComparison, { result: unknown }> => 'result' in c);
  const [taskKey, setTaskKey] = useState<string | null>(null);
  const [qid, setQid] = useState<string | null>(null);
  const current = tested.find((c) => c.task.key === taskKey) ?? tested[0];
  const pick = (k: string) => {
    setTaskKey(k);
    setQid(null);
  };
  return (
    <div className="significance" data-testid="significance">
      <h3>
        B = {nameB} against A = {nameA} ({metricLabel})
      </h3>
      <p className="muted small">
        Per task, over the queries both runs scored. <strong>p</strong> is the chance of a difference at least
        this large if the two retrievers were equally good: randomisation test (Fisher,{' '}
        {PERMUTATIONS.toLocaleString('en-US')} seeded sign flips of each query&apos;s pair, two-sided, p =
        (count + 1) / (flips + 1)) and paired t-test. Below {ALPHA} on the randomisation test counts as real
        (▲/▼ in the table).
      </p>
      <div className="table-scroll">
        <table className="table compact" data-testid="significance-table">
          <thead>
            <tr>
              <th>Task</th>
              <th className="num">Queries</th>
              <th className="num">Mean A</th>
              <th className="num">Mean B</th>
              <th className="num">B − A</th>
              <th className="num">p (randomisation)</th>
              <th className="num">p (t-test)</th>
              <th className="num">B better / worse / tie</th>
              <th>Verdict</th>
            </tr>
          </thead>
          <tbody>
            {comparisons.map((c) =>
              'result' in c ? (
                <tr
                  key={c.task.key}
                  className={`clickable${c === current ? ' selected' : ''}`}
                  data-testid="significance-row"
                  data-task={c.task.key}
                  data-p-rand={c.result.randomisation.p}
                  data-p-t={c.result.tTest.p}
                  tabIndex={0}
                  aria-selected={c === current}
                  onClick={() => pick(c.task.key)}
                  onKeyDown={onActivate(() => pick(c.task.key))}
                >
                  <td>{c.task.key}</td>
                  <td className="num">{c.result.queries.length}</td>
                  <td className="num">{metric(c.result.meanA)}</td>
                  <td className="num">{metric(c.result.meanB)}</td>
                  <td className="num">{signed(c.result.diff)}</td>
                  <td className="num strong" data-testid="p-rand">
                    {p(c.result.randomisation.p)}
                  </td>
                  <td className="num" data-testid="p-t">
                    {p(c.result.tTest.p)}
                  </td>
                  <td className="num">
                    {c.result.wins} / {c.result.losses} / {c.result.ties}
                  </td>
                  <td className={c.result.significant ? 'verdict real' : 'verdict'}>
                    {c.result.significant
                      ? `${mark(c)} B is ${c.result.diff > 0 ? 'better' : 'worse'} (real)`
                      : 'no real difference shown'}
                  </td>
                </tr>
              ) : (
                <tr key={c.task.key} className="muted" data-testid="significance-missing">
                  <td>{c.task.key}</td>
                  <td colSpan={8}>{c.missing}</td>
                </tr>
              ),
            )}
          </tbody>
        </table>
      </div>
      {current && (
        <div className="per-query">
          <div>
            <h4>
              Per query on {current.task.key}: B better {current.result.wins}, worse {current.result.losses},
              tie {current.result.ties}
            </h4>
            <Scatter
              c={current.result}
              nameA={nameA}
              nameB={nameB}
              metricLabel={metricLabel}
              selected={qid}
              onPick={setQid}
            />
            <p className="muted small legend">
              <span className="dot win" /> B better <span className="dot loss" /> A better{' '}
              <span className="dot tie" /> tie — above the diagonal B won. Click a point to see both rankings.
            </p>
          </div>
          {qid && (
            <SideBySide
              runA={rowA.cells.get(current.task.key)!.run.id}
              runB={rowB.cells.get(current.task.key)!.run.id}
              nameA={nameA}
              nameB={nameB}
              qid={qid}
            />
          )}
        </div>
      )}
    </div>
  );
}
