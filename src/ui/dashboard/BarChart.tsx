/** Bars of the rows' values on one task (SVG, no chart library), in the table's order. */
import { metric } from '../format';
import type { Row, Task } from './table';

const W = 640;
const LABEL = 230;
const BAR = 18;
const GAP = 6;
/** characters of a row name that fit left of the bars; a longer one is cut with "…" (its whole name on hover) */
const NAME_CHARS = 34;
const fit = (n: string) => (n.length > NAME_CHARS ? `${n.slice(0, NAME_CHARS - 1)}…` : n);

export function BarChart({
  rows,
  task,
  name,
  metricLabel,
}: {
  rows: readonly Row[];
  task: Task;
  name: (retriever: string) => string;
  metricLabel: string;
}) {
  const bars = rows.map((r) => ({ r, c: r.cells.get(task.key) })).filter((x) => x.c?.value !== undefined) as {
    r: Row;
    c: { value: number; leaked: boolean };
  }[];
  if (bars.length === 0) return <p className="muted small">No runs on {task.key}.</p>;
  // the metrics run from 0 to 1: the axis does too, so a bar's length reads against a perfect score
  const max = Math.max(1, ...bars.map((b) => b.c.value));
  const scale = (W - LABEL - 60) / max;
  const h = bars.length * (BAR + GAP) + 24;
  return (
    <svg
      className="bar-chart"
      viewBox={`0 0 ${W} ${h}`}
      width="100%"
      role="img"
      aria-label={`${metricLabel} on ${task.key}, one bar per retriever`}
      data-testid="bar-chart"
      data-task={task.key}
    >
      {bars.map(({ r, c }, i) => {
        const y = i * (BAR + GAP);
        const w = c.value * scale;
        return (
          <g key={r.retriever} data-testid="bar" data-retriever={r.retriever} data-value={c.value}>
            <text x={LABEL - 8} y={y + BAR - 5} textAnchor="end" className="bar-label">
              <title>{name(r.retriever)}</title>
              {fit(name(r.retriever))}
            </text>
            <rect
              x={LABEL}
              y={y}
              width={Math.max(1, w)}
              height={BAR}
              className={c.leaked ? 'bar leaked' : 'bar'}
            >
              <title>
                {name(r.retriever)}: {metric(c.value)}
                {c.leaked ? ' (scored on its training queries)' : ''}
              </title>
            </rect>
            <text x={LABEL + w + 6} y={y + BAR - 5} className="bar-value">
              {metric(c.value)}
            </text>
          </g>
        );
      })}
      <line x1={LABEL} x2={LABEL} y1={0} y2={h - 20} className="axis" />
      <text x={LABEL} y={h - 4} className="bar-value">
        0
      </text>
      <text x={LABEL + (max / 2) * scale} y={h - 4} textAnchor="middle" className="bar-value">
        {max / 2}
      </text>
      <text x={LABEL + max * scale} y={h - 4} textAnchor="middle" className="bar-value">
        {max}
      </text>
    </svg>
  );
}
