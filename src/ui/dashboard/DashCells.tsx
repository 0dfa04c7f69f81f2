/** The dashboard table's pieces: a sortable header, a task cell (value, marks, runs menu), a mean cell. */
import type { ReactNode } from 'react';
import type { MetricKey } from '../../eval/types';
import { metric } from '../format';
import { LeakMark } from '../LeakMark';
import { CellMenu } from './CellMenu';
import type { Cell, Mean, MeanKey, Sort, SortColumn, Task } from './table';

export function SortHeader({
  column,
  sort,
  onSort,
  children,
  className,
  title,
  rowSpan,
}: {
  rowSpan?: number;
  column: SortColumn;
  sort: Sort | null;
  onSort: (c: SortColumn) => void;
  children: ReactNode;
  className?: string;
  title?: string;
}) {
  const active = sort?.column === column;
  return (
    <th
      className={className}
      rowSpan={rowSpan}
      aria-sort={active ? (sort.dir === 'asc' ? 'ascending' : 'descending') : 'none'}
      data-testid="sort-header"
      data-column={column}
      title={title}
    >
      <button className="sort" onClick={() => onSort(column)}>
        {children}
        <span className="sort-mark" aria-hidden>
          {active ? (sort.dir === 'asc' ? ' ▲' : ' ▼') : ' ↕'}
        </span>
      </button>
    </th>
  );
}

export function TaskCell({
  task: t,
  cell: c,
  name,
  best: bestValue,
  sig,
  selected,
  onSelect,
  menuOpen,
  onMenu,
  onCloseMenu,
  metricKey,
  metricLabel,
}: {
  task: Task;
  cell: Cell | undefined;
  name: string;
  best: number | undefined;
  sig: '▲' | '▼' | '';
  selected: string | null;
  onSelect: (runId: string | null) => void;
  menuOpen: boolean;
  onMenu: () => void;
  onCloseMenu: () => void;
  metricKey: MetricKey;
  metricLabel: string;
}) {
  if (!c)
    return (
      <td className="num empty" data-testid="dash-cell" data-task={t.key}>
        <span className="muted" title="not run on this task">
          ·
        </span>
      </td>
    );
  const best = !c.leaked && c.value !== undefined && bestValue === c.value;
  return (
    <td
      className={`num cell${best ? ' best' : ''}${c.leaked ? ' leaked' : ''}${c.run.id === selected ? ' selected' : ''}`}
      data-testid="dash-cell"
      data-task={t.key}
      data-run={c.run.id}
      data-value={c.value ?? ''}
      data-sig={sig}
    >
      <button
        className="cell-value"
        data-testid="dash-value"
        title={`${name} on ${t.key}: click for its queries`}
        aria-pressed={c.run.id === selected}
        onClick={() => onSelect(c.run.id === selected ? null : c.run.id)}
      >
        {metric(c.value)}
      </button>
      {sig && (
        <span
          className={`sig ${sig === '▲' ? 'up' : 'down'}`}
          data-testid="sig-mark"
          title={`B ${sig === '▲' ? 'above' : 'below'} A on this task, randomisation p < 0.05`}
        >
          {sig}
        </span>
      )}
      <LeakMark run={c.run} compact />
      {(c.run.report.warnings?.length ?? 0) > 0 && (
        <span className="warn-mark" title={c.run.report.warnings?.join('\n')}>
          !
        </span>
      )}
      <button
        className="link history"
        data-testid="cell-menu-open"
        aria-expanded={menuOpen}
        title="Runs and downloads"
        onClick={onMenu}
      >
        {c.history.length > 0 ? `+${c.history.length}` : '⋯'}
      </button>
      {menuOpen && (
        <CellMenu
          cell={c}
          name={name}
          metricKey={metricKey}
          metricLabel={metricLabel}
          onClose={onCloseMenu}
        />
      )}
    </td>
  );
}

export function MeanCell({
  group,
  mean: m,
  best: bestValue,
}: {
  group: MeanKey;
  mean: Mean;
  best: number | undefined;
}) {
  const comparable = m.n === m.of;
  const best = comparable && !m.leaked && m.value !== null && bestValue === m.value;
  return (
    <td
      className={`num mean${comparable ? '' : ' incomparable'}${best ? ' best' : ''}`}
      data-testid="dash-mean"
      data-group={group}
      data-value={m.value ?? ''}
      data-n={m.n}
      data-of={m.of}
      title={
        m.n === 0
          ? 'no task of this group'
          : comparable
            ? `mean over all ${m.of} tasks`
            : `mean over ${m.n} of ${m.of} tasks: not comparable with a mean over all ${m.of}`
      }
    >
      {m.value === null ? '—' : metric(m.value)}
      <span className="coverage">
        {m.n}/{m.of}
      </span>
    </td>
  );
}
