import { describe, expect, it } from 'vitest';
import { bootstrapCI } from './bootstrap';

describe('bootstrapCI', () => {
  it('matches hand-computed percentile intervals', () => {
    // [0, 1, 1, 1]: a resample mean is k/4 with k ~ Binomial(4, 3/4): P(k ≤ 0) = 0.4%, P(k ≤ 1) = 5.1%,
    // P(k ≤ 3) = 68.4%: the 2.5% quantile is 1/4 and the 97.5% quantile is 1
    expect(bootstrapCI([0, 1, 1, 1], 7)).toEqual([0.25, 1]);
    // [0, 1]: means 0, 1/2, 1 with 25%, 50%, 25%: the interval is [0, 1]
    expect(bootstrapCI([0, 1], 7)).toEqual([0, 1]);
    // one resample of one value is that value; equal values have a zero-width interval
    expect(bootstrapCI([0.3], 1, 1)).toEqual([0.3, 0.3]);
    expect(bootstrapCI([0.5, 0.5, 0.5], 3)).toEqual([0.5, 0.5]);
    expect(bootstrapCI([], 3)).toEqual([0, 0]);
  });

  it('is seeded, and holds the mean of a sample', () => {
    const xs = Array.from({ length: 60 }, (_, i) => ((i * 37) % 11) / 10);
    const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
    const a = bootstrapCI(xs, 42);
    expect(bootstrapCI(xs, 42)).toEqual(a);
    expect(bootstrapCI(xs, 43)).not.toEqual(a);
    expect(a[0]).toBeLessThan(mean);
    expect(a[1]).toBeGreaterThan(mean);
    // about ±1.96 standard errors
    const sd = Math.sqrt(xs.reduce((s, x) => s + (x - mean) ** 2, 0) / xs.length);
    expect((a[1] - a[0]) / 2).toBeCloseTo((1.96 * sd) / Math.sqrt(xs.length), 1);
    expect(() => bootstrapCI(xs, 1, 0)).toThrow(/resamples/);
  });
});
