/**
 * The live figures: per task and per domain average, the merge's nDCG@10 on the dev pool, its change against
 * the base and against the best single expert (scored once on the same pools), and the spread over seeds.
 */
import { useMemo } from 'react';
import { useUi } from '../context';
import { plural } from '../../util/words';
import { metric } from '../format';
import { datasetDomains, domainOf, mergeFigures, poolLabel, type FigureRow } from '../state/merge-figures';

function delta(v: number | null): { text: string; cls: string } {
  if (v === null) return { text: '—', cls: '' };
  const r = Math.round(v * 1000) / 1000;
  return {
    text: `${r > 0 ? '+' : r < 0 ? '−' : '±'}${Math.abs(r).toFixed(3)}`,
    cls: r > 0 ? 'merge-up' : r < 0 ? 'merge-down' : '',
  };
}

function Row({ r, names, domain }: { r: FigureRow; names: Record<string, string>; domain?: string }) {
  const db = delta(r.dBase);
  const dx = delta(r.dBest);
  return (
    <tr
      data-testid={r.kind === 'task' ? 'merge-task' : 'merge-average'}
      data-label={r.label}
      className={r.kind}
    >
      <td>
        {r.label}
        {r.pool && (
          <div className="muted small" data-testid="merge-pool-label">
            {poolLabel(r.pool)}, {r.pool.queries} queries
          </div>
        )}
        {r.kind === 'average' && <div className="muted small">mean of {plural(r.tasks, 'task')}</div>}
      </td>
      <td className="small">{domain ?? ''}</td>
      <td className="strong" data-testid="merge-ndcg">
        {metric(r.merged)}
      </td>
      <td className={db.cls} data-testid="merge-dbase">
        {db.text}
      </td>
      <td className={dx.cls} data-testid="merge-dbest">
        {dx.text}
      </td>
      <td data-testid="merge-base">{metric(r.base)}</td>
      <td data-testid="merge-best">{r.best ? `${metric(r.best.value)} ${names[r.best.id] ?? ''}` : '—'}</td>
      <td data-testid="merge-spread">
        {r.spread ? `${metric(r.spread.mean)} (${metric(r.spread.min)}–${metric(r.spread.max)})` : ''}
      </td>
    </tr>
  );
}

export function MergeFigures() {
  const score = useUi((s) => s.mergeScore);
  const datasets = useUi((s) => s.datasets);
  const domains = useMemo(() => datasetDomains(datasets), [datasets]);
  const experts = useUi((s) => s.experts);
  const picked = useUi((s) => s.mergeDraft.picked);
  const names = Object.fromEntries(experts.map((e) => [e.id, e.name]));
  const status =
    score.status === 'pending'
      ? 'Waiting for the sliders to settle…'
      : score.status === 'building'
        ? 'Building the dev pools (once for these experts and splits)…'
        : score.status === 'scoring'
          ? 'Re-scoring…'
          : score.status === 'done' && score.result
            ? `Merged and re-scored in ${Math.max(1, Math.round(score.result.ms))} ms`
            : '';
  const result = score.result;
  const stale = score.status !== 'done';
  const figures = result
    ? mergeFigures(
        result,
        domains,
        picked.filter((id) => result.pools.every((p) => id in p.experts)),
      )
    : null;
  return (
    <div className="merge-figures" data-testid="merge-figures" data-status={score.status}>
      <div className="merge-status">
        <span data-testid="merge-status">{status}</span>
        {score.message && (
          <p className={score.status === 'error' ? 'error-body' : 'muted'} data-testid="merge-message">
            {score.message}
          </p>
        )}
      </div>
      {figures && (
        <div className="table-scroll">
          <table
            className={stale ? 'table merge-table stale' : 'table merge-table'}
            data-testid="merge-table"
          >
            <caption className="muted small">
              nDCG@10 on <b>dev pools</b>: each split&apos;s judged documents plus the top-
              {result?.pools[0]?.k} of the base and of every ticked expert. A pool figure is an estimate
              (usually a little above the full-split figure); save the merge for a full-split evaluation.
              Base: the base model alone. Best single expert: the best of the ticked experts used alone, on
              the same pool (for an average, the one expert with the best average).
              {result?.spread &&
                ` The spread column: the mean (min–max) over seeds ${result.spread.seeds.join(', ')}: DARE and DELLA drop changes at random, so their figures move with the seed.`}
            </caption>
            <thead>
              <tr>
                <th>Task</th>
                <th>Domain</th>
                <th>Merge</th>
                <th>vs base</th>
                <th>vs best single expert</th>
                <th>Base</th>
                <th>Best single expert</th>
                <th>{result?.spread ? 'Over seeds' : ''}</th>
              </tr>
            </thead>
            <tbody>
              {figures.tasks.map((r, i) => (
                <Row
                  key={r.label}
                  r={r}
                  names={names}
                  domain={result ? domainOf(result.pools[i].dataset, domains) : undefined}
                />
              ))}
              {figures.tasks.length > 1 &&
                figures.averages.map((r) => <Row key={r.label} r={r} names={names} />)}
            </tbody>
          </table>
        </div>
      )}
    </div>
  );
}
