import { describe, expect, it } from 'vitest';
import { emaSmooth } from './smooth';

describe('emaSmooth (issue 12 item 6: the smoothed loss line)', () => {
  it('matches a hand-worked bias-corrected EMA', () => {
    // w = 0.5: averages 0.5·4 = 2, 0.5·2 + 0.5·2 = 2, 0.5·2 + 0.5·8 = 5; corrections 1 − 0.5ⁿ = .5, .75, .875
    const s = emaSmooth([4, 2, 8], 0.5);
    expect(s[0]).toBeCloseTo(4, 12);
    expect(s[1]).toBeCloseTo(2 / 0.75, 12);
    expect(s[2]).toBeCloseTo(5 / 0.875, 12);
  });

  it('starts at the first value (no pull towards 0) and keeps a constant series constant', () => {
    const s = emaSmooth([3, 3, 3, 3, 3], 0.9);
    for (const v of s) expect(v).toBeCloseTo(3, 12);
  });

  it('weight 0 is the raw series; a large weight flattens noise', () => {
    const raw = [1, 5, 1, 5, 1, 5, 1, 5];
    expect(emaSmooth(raw, 0)).toEqual(raw);
    const s = emaSmooth(raw, 0.9);
    const spread = (a: number[]) => Math.max(...a.slice(4)) - Math.min(...a.slice(4));
    expect(spread(s)).toBeLessThan(spread(raw) / 4);
  });

  it('passes a non-finite loss through without poisoning the average', () => {
    const s = emaSmooth([2, NaN, 2], 0.5);
    expect(s[1]).toBeNaN();
    expect(s[2]).toBeCloseTo(2, 12);
  });

  it('refuses a weight outside [0, 1)', () => {
    expect(() => emaSmooth([1], 1)).toThrow(/smoothing weight/);
    expect(() => emaSmooth([1], -0.1)).toThrow(/smoothing weight/);
  });
});
