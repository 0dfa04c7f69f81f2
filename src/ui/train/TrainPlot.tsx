/** A live SVG line plot of the training loss (left axis; raw faded, smoothed on top) and dev nDCG@10
 * (right axis, 0..1) per step. */
import { useState } from 'react';
import type { TrainProgress } from '../../train/types';
import { DEFAULT_SMOOTHING, emaSmooth } from './smooth';
import { niceTicks, stepTicks } from './ticks';

const W = 640;
const H = 220;
const PAD = { l: 48, r: 48, t: 12, b: 30 };

function path(points: [number, number][]): string {
  return points.map(([x, y], i) => `${i ? 'L' : 'M'}${x.toFixed(1)},${y.toFixed(1)}`).join('');
}

export function TrainPlot({
  history,
  totalSteps,
}: {
  history: readonly TrainProgress[];
  totalSteps: number;
}) {
  const losses = history.map((h) => h.loss).filter(Number.isFinite);
  const maxLoss = losses.length ? Math.max(...losses) : 1;
  const minLoss = losses.length ? Math.min(...losses, 0) : 0;
  const xs = (step: number) => PAD.l + ((W - PAD.l - PAD.r) * step) / Math.max(1, totalSteps);
  const yl = (v: number) => PAD.t + (H - PAD.t - PAD.b) * (1 - (v - minLoss) / (maxLoss - minLoss || 1));
  const yd = (v: number) => PAD.t + (H - PAD.t - PAD.b) * (1 - v);
  const [weight, setWeight] = useState(DEFAULT_SMOOTHING);
  const finite = history.filter((h) => Number.isFinite(h.loss));
  const loss = finite.map((h) => [xs(h.step), yl(h.loss)] as [number, number]);
  const smooth = emaSmooth(
    finite.map((h) => h.loss),
    weight,
  ).map((v, i) => [loss[i][0], yl(v)] as [number, number]);
  const dev = history
    .filter((h) => h.devNdcg10 !== undefined)
    .map((h) => [xs(h.step), yd(h.devNdcg10 as number)] as [number, number]);
  const xTicks = stepTicks(totalSteps);
  const lossTicks = losses.length ? niceTicks(minLoss, maxLoss, 4) : { values: [], labels: [] };
  const devTicks = [0, 0.25, 0.5, 0.75, 1];
  return (
    <>
      <svg
        className="train-plot"
        data-testid="train-plot"
        data-points={history.length}
        data-dev-points={dev.length}
        viewBox={`0 0 ${W} ${H}`}
        width="100%"
        role="img"
        aria-label="Training loss and dev nDCG@10 per step"
      >
        <rect
          x={PAD.l}
          y={PAD.t}
          width={W - PAD.l - PAD.r}
          height={H - PAD.t - PAD.b}
          className="plot-frame"
        />
        {lossTicks.values.map((v, i) => (
          <g key={`l${v}`}>
            <line x1={PAD.l} x2={W - PAD.r} y1={yl(v)} y2={yl(v)} className="plot-grid" />
            <text
              x={PAD.l - 6}
              y={yl(v) + 4}
              textAnchor="end"
              className="plot-tick loss"
              data-testid="tick-loss"
            >
              {lossTicks.labels[i]}
            </text>
          </g>
        ))}
        {devTicks.map((v) => (
          <text
            key={`d${v}`}
            x={W - PAD.r + 6}
            y={yd(v) + 4}
            className="plot-tick dev"
            data-testid="tick-dev"
          >
            {v.toFixed(2)}
          </text>
        ))}
        {xTicks.map((s) => (
          <text
            key={`x${s}`}
            x={xs(s)}
            y={H - PAD.b + 16}
            textAnchor={s === totalSteps ? 'end' : 'middle'}
            className="plot-tick"
            data-testid="tick-step"
          >
            {s}
          </text>
        ))}
        <text x={(W - PAD.r + PAD.l) / 2} y={H - 2} textAnchor="middle" className="plot-tick">
          step
        </text>
        {loss.length > 0 && (
          <path
            d={path(loss)}
            className={weight > 0 ? 'plot-line loss raw' : 'plot-line loss'}
            data-testid="plot-loss"
          />
        )}
        {weight > 0 && smooth.length > 0 && (
          <path d={path(smooth)} className="plot-line loss" data-testid="plot-loss-smooth" />
        )}
        {dev.length > 0 && <path d={path(dev)} className="plot-line dev" data-testid="plot-dev" />}
        {dev.map(([x, y], i) => (
          <circle key={i} cx={x} cy={y} r={3} className="plot-dot dev" />
        ))}
        <g className="plot-legend">
          <rect x={PAD.l + 8} y={PAD.t + 6} width={10} height={3} className="legend loss" />
          <text x={PAD.l + 22} y={PAD.t + 11} className="plot-tick">
            loss, smoothed (raw faded)
          </text>
          <rect x={PAD.l + 150} y={PAD.t + 6} width={10} height={3} className="legend dev" />
          <text x={PAD.l + 164} y={PAD.t + 11} className="plot-tick">
            dev nDCG@10 (right axis)
          </text>
        </g>
      </svg>
      <label
        className="plot-smoothing"
        title="Exponential moving average of the loss, as TensorBoard draws it (bias-corrected, so the first steps are not pulled to 0); 0 shows the raw loss only"
      >
        smoothing{' '}
        <input
          type="range"
          min={0}
          max={0.99}
          step={0.01}
          value={weight}
          onChange={(e) => setWeight(Number(e.target.value))}
          data-testid="plot-smoothing"
        />{' '}
        {weight.toFixed(2)}
      </label>
    </>
  );
}
