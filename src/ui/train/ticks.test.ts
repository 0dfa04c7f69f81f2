import { describe, expect, it } from 'vitest';
import { niceTicks, stepTicks } from './ticks';

describe('stepTicks', () => {
  it('gives whole, distinct steps from 0 within the run', () => {
    expect(stepTicks(300)).toEqual([0, 50, 100, 150, 200, 250, 300]);
    expect(stepTicks(40)).toEqual([0, 10, 20, 30, 40]);
    expect(stepTicks(7)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    for (const total of [1, 2, 3, 4, 5, 6, 7, 11, 13, 97, 1234]) {
      const t = stepTicks(total);
      expect(new Set(t).size).toBe(t.length);
      expect(t.every((s) => Number.isInteger(s) && s >= 0 && s <= total)).toBe(true);
    }
  });
  it('draws no step ticks before the run length is known (no stray 0 / 1)', () => {
    expect(stepTicks(0)).toEqual([]);
    expect(stepTicks(NaN)).toEqual([]);
  });
  it('a tiny run has distinct labels, not 0 0 0 1 1 1', () => {
    expect(stepTicks(1)).toEqual([0, 1]);
    expect(stepTicks(2)).toEqual([0, 1, 2]);
  });
});

describe('niceTicks', () => {
  it('rounds a loss range to round values with equal decimals', () => {
    const t = niceTicks(0, 2.31);
    expect(t.values).toEqual([0, 0.5, 1, 1.5, 2]);
    expect(t.labels).toEqual(['0.0', '0.5', '1.0', '1.5', '2.0']);
  });
  it('shows a narrow range with enough decimals to tell ticks apart', () => {
    const t = niceTicks(3.4101, 3.4162);
    expect(new Set(t.labels).size).toBe(t.labels.length);
    expect(t.values.length).toBeGreaterThanOrEqual(2);
    expect(t.values.every((v) => v >= 3.4101 && v <= 3.4162)).toBe(true);
  });
  it('one point (a run at its first step) gives one tick, not five equal ones', () => {
    expect(niceTicks(2.0794, 2.0794).values).toEqual([2.0794]);
    expect(niceTicks(2.0794, 2.0794).labels).toEqual(['2.079']);
  });
  it('no data gives no ticks', () => {
    expect(niceTicks(Infinity, -Infinity)).toEqual({ values: [], labels: [] });
  });
});
