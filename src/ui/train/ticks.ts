/** Axis ticks for the training plot: round values, no duplicates, sensible for tiny ranges. */

/** The "nice" spacing (1, 2 or 5 x 10^k) that splits `span` into about `n` parts. */
function niceStep(span: number, n: number): number {
  const raw = span / Math.max(1, n);
  const mag = 10 ** Math.floor(Math.log10(raw));
  const f = raw / mag;
  return (f < 1.5 ? 1 : f < 3 ? 2 : f < 7 ? 5 : 10) * mag;
}

/** Decimals that show a tick spacing exactly (0.05 -> 2, 2 -> 0). */
function decimalsOf(step: number): number {
  return Math.max(0, Math.min(6, -Math.floor(Math.log10(step) + 1e-9)));
}

export interface Ticks {
  values: number[];
  /** the labels, as many decimals as the spacing needs and all alike */
  labels: string[];
}

/**
 * About `n` round ticks inside [lo, hi]. A range of (nearly) zero width gives the one value; no finite
 * range gives no ticks at all.
 */
export function niceTicks(lo: number, hi: number, n = 4): Ticks {
  if (!Number.isFinite(lo) || !Number.isFinite(hi) || hi < lo) return { values: [], labels: [] };
  const span = hi - lo;
  if (span <= Math.max(Math.abs(hi), Math.abs(lo), 1e-12) * 1e-9) {
    return { values: [lo], labels: [lo === 0 ? '0' : lo.toPrecision(4)] };
  }
  const step = niceStep(span, n);
  const d = decimalsOf(step);
  const values: number[] = [];
  for (let i = Math.ceil(lo / step - 1e-9); i * step <= hi + step * 1e-9; i++)
    values.push(Number((i * step).toFixed(d)) || 0);
  return { values, labels: values.map((v) => v.toFixed(d)) };
}

/**
 * Step-axis ticks for a run of `total` steps: whole steps only, no repeats, 0 and about `n` parts; no
 * ticks while the length of the run is unknown (total < 1).
 */
export function stepTicks(total: number, n = 5): number[] {
  if (!Number.isFinite(total) || total < 1) return [];
  const step = Math.max(1, Math.round(niceStep(total, n)));
  const out: number[] = [];
  for (let s = 0; s <= total; s += step) out.push(s);
  return out;
}
