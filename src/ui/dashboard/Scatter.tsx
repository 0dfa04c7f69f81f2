/** One point per query: A's score across, B's up; above the diagonal B won. A click picks the query. */
import type { PairedComparison } from '../../eval/significance';
import { TIE_EPS } from '../../eval/significance';
import { metric } from '../format';

const S = 300;
const PAD = 36;

export type Outcome = 'win' | 'loss' | 'tie';
export function outcome(a: number, b: number): Outcome {
  return b - a > TIE_EPS ? 'win' : a - b > TIE_EPS ? 'loss' : 'tie';
}

export function Scatter({
  c,
  nameA,
  nameB,
  metricLabel,
  selected,
  onPick,
}: {
  c: PairedComparison;
  nameA: string;
  nameB: string;
  metricLabel: string;
  selected: string | null;
  onPick: (qid: string) => void;
}) {
  const max = Math.max(1, ...c.a, ...c.b);
  const pos = (v: number) => PAD + (v / max) * (S - 2 * PAD);
  const y = (v: number) => S - pos(v);
  return (
    <svg
      viewBox={`0 0 ${S} ${S}`}
      width={S}
      height={S}
      className="scatter"
      role="group"
      aria-label={`Per-query ${metricLabel}: ${nameA} across, ${nameB} up`}
      data-testid="scatter"
    >
      <rect x={PAD} y={PAD} width={S - 2 * PAD} height={S - 2 * PAD} className="plot-area" />
      <line x1={pos(0)} y1={y(0)} x2={pos(max)} y2={y(max)} className="diagonal" />
      <text x={S / 2} y={S - 6} textAnchor="middle" className="axis-label">
        A: {nameA}
      </text>
      <text x={12} y={S / 2} textAnchor="middle" className="axis-label" transform={`rotate(-90 12 ${S / 2})`}>
        B: {nameB}
      </text>
      <text x={pos(0)} y={S - PAD + 14} textAnchor="middle" className="tick">
        0
      </text>
      <text x={pos(max)} y={S - PAD + 14} textAnchor="middle" className="tick">
        {max}
      </text>
      {c.queries.map((q, i) => {
        const o = outcome(c.a[i], c.b[i]);
        return (
          <circle
            key={q}
            cx={pos(c.a[i])}
            cy={y(c.b[i])}
            r={q === selected ? 6 : 4}
            className={`point ${o}${q === selected ? ' selected' : ''}`}
            data-testid="scatter-point"
            data-qid={q}
            data-outcome={o}
            tabIndex={0}
            role="button"
            aria-label={`query ${q}: A ${metric(c.a[i])}, B ${metric(c.b[i])}`}
            onClick={() => onPick(q)}
            onKeyDown={(e) => {
              if (e.key === 'Enter' || e.key === ' ') {
                e.preventDefault();
                onPick(q);
              }
            }}
          >
            <title>
              query {q}: A {metric(c.a[i])}, B {metric(c.b[i])} (
              {o === 'win' ? 'B better' : o === 'loss' ? 'A better' : 'tie'})
            </title>
          </circle>
        );
      })}
    </svg>
  );
}
