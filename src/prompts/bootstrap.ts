/**
 * A percentile bootstrap interval of a mean: `resamples` resamples of the values with replacement (seeded),
 * the mean of each, and the interval between the (1−level)/2 and (1+level)/2 quantiles of those means
 * (the order statistics at floor(q·(R−1)), no interpolation).
 */
import { Rng } from '../util/rng';

export const BOOTSTRAP_RESAMPLES = 1000;

export function bootstrapCI(
  values: readonly number[],
  seed: number,
  resamples = BOOTSTRAP_RESAMPLES,
  level = 0.95,
): [number, number] {
  const n = values.length;
  if (n === 0) return [0, 0];
  if (!Number.isInteger(resamples) || resamples < 1)
    throw new RangeError(`bootstrap: resamples must be a positive integer, got ${resamples}`);
  const rng = new Rng(seed);
  const means = new Float64Array(resamples);
  for (let r = 0; r < resamples; r++) {
    let s = 0;
    for (let i = 0; i < n; i++) s += values[rng.int(n)];
    means[r] = s / n;
  }
  means.sort();
  const at = (q: number) => means[Math.min(resamples - 1, Math.max(0, Math.floor(q * (resamples - 1))))];
  return [at((1 - level) / 2), at((1 + level) / 2)];
}
