/** Score against trial: every trial's objective (dots), the best so far (a line), the best single model (dashed). */
import type { MergeSearchTrial } from '../../../worker/features/merge-search/protocol';
import '../../train/train.css';
import { niceTicks } from '../../train/ticks';
import { bestSoFar } from './trials';

const W = 640;
const H = 220;
const PAD = { l: 48, r: 16, t: 12, b: 30 };

export function SearchPlot({
  trials,
  total,
  reference,
}: {
  trials: readonly MergeSearchTrial[];
  total: number;
  reference: { model: string; objective: number } | null;
}) {
  const ys = trials.map((t) => t.objective);
  if (reference) ys.push(reference.objective);
  const lo = ys.length ? Math.min(...ys) : 0;
  const hi = ys.length ? Math.max(...ys) : 1;
  const span = hi - lo || 0.01;
  const y0 = lo - 0.05 * span;
  const y1 = hi + 0.05 * span;
  const n = Math.max(total, trials.length, 1);
  const x = (i: number) => PAD.l + ((W - PAD.l - PAD.r) * (i - 0.5)) / n;
  const y = (v: number) => PAD.t + (H - PAD.t - PAD.b) * (1 - (v - y0) / (y1 - y0));
  const best = bestSoFar(trials);
  const ticks = niceTicks(y0, y1, 4);
  const line = best.map((v, i) => `${i ? 'L' : 'M'}${x(i + 1).toFixed(1)},${y(v).toFixed(1)}`).join('');
  return (
    <svg
      className="train-plot"
      data-testid="merge-search-plot"
      data-points={trials.length}
      viewBox={`0 0 ${W} ${H}`}
      width="100%"
      role="img"
      aria-label="Dev objective (mean nDCG@10) per trial"
    >
      <rect x={PAD.l} y={PAD.t} width={W - PAD.l - PAD.r} height={H - PAD.t - PAD.b} className="plot-frame" />
      {ticks.values.map((v, i) => (
        <g key={v}>
          <line x1={PAD.l} x2={W - PAD.r} y1={y(v)} y2={y(v)} className="plot-grid" />
          <text x={PAD.l - 6} y={y(v) + 4} textAnchor="end" className="plot-tick">
            {ticks.labels[i]}
          </text>
        </g>
      ))}
      <text x={(W - PAD.r + PAD.l) / 2} y={H - 2} textAnchor="middle" className="plot-tick">
        trial (of {n})
      </text>
      {reference && (
        <g>
          <line
            x1={PAD.l}
            x2={W - PAD.r}
            y1={y(reference.objective)}
            y2={y(reference.objective)}
            className="plot-line loss"
            strokeDasharray="4 4"
          />
          <text x={W - PAD.r - 4} y={y(reference.objective) - 4} textAnchor="end" className="plot-tick">
            best single: {reference.model} {reference.objective.toFixed(4)}
          </text>
        </g>
      )}
      {trials.map((t) => (
        <circle key={t.index} cx={x(t.index)} cy={y(t.objective)} r={2.5} className="plot-dot dev">
          <title>{`#${t.index} ${t.objective.toFixed(4)} ${t.label}`}</title>
        </circle>
      ))}
      {best.length > 0 && <path d={line} className="plot-line dev" data-testid="merge-search-best" />}
    </svg>
  );
}
