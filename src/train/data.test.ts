import { describe, expect, it } from 'vitest';
import { formatTrainingPairs, parseTrainingPairs, samplePairs, splitTrainDev } from './data';
import { effectiveWarmup, lrAt } from './schedule';

describe('training pairs', () => {
  it('reads both layouts and round-trips', () => {
    const text =
      '{"query":"q1","positive":"p1","negatives":["n1","n2"]}\n\n{"_id":"x","query":"q2","positive":"p2","source":"s"}\n';
    const pairs = parseTrainingPairs(text, 'a.jsonl');
    expect(pairs).toEqual([
      { query: 'q1', positive: 'p1', negatives: ['n1', 'n2'] },
      { query: 'q2', positive: 'p2' },
    ]);
    expect(parseTrainingPairs(formatTrainingPairs(pairs), 'b')).toEqual(pairs);
  });

  it('names file and line on bad input', () => {
    expect(() => parseTrainingPairs('{"query":"q","positive":"p"}\n{oops', 'bad.jsonl')).toThrow(
      'bad.jsonl:2: invalid JSON',
    );
    expect(() => parseTrainingPairs('{"query":"q"}', 'f')).toThrow('f:1: missing or empty "positive"');
    expect(() => parseTrainingPairs('{"query":"q","positive":"p","negatives":[1]}', 'f')).toThrow(
      'f:1: "negatives"',
    );
    expect(() => parseTrainingPairs('[1]', 'f')).toThrow('f:1: expected a JSON object');
  });

  it('samples and splits by seed', () => {
    const xs = Array.from({ length: 100 }, (_, i) => i);
    expect(samplePairs(xs, 10, 1)).toEqual(samplePairs(xs, 10, 1));
    expect(samplePairs(xs, 10, 1)).not.toEqual(samplePairs(xs, 10, 2));
    expect(new Set(samplePairs(xs, 100, 3)).size).toBe(100);
    const { train, dev } = splitTrainDev(xs, { fraction: 0.2 }, 5);
    expect(dev).toHaveLength(20);
    expect(new Set([...train, ...dev]).size).toBe(100);
  });
});

describe('schedule', () => {
  it('warms up linearly then decays linearly to 0', () => {
    expect(lrAt(0, 1, 4, 12)).toBeCloseTo(0.25);
    expect(lrAt(3, 1, 4, 12)).toBeCloseTo(1);
    expect(lrAt(4, 1, 4, 12)).toBeCloseTo(1);
    expect(lrAt(8, 1, 4, 12)).toBeCloseTo(0.5);
    expect(lrAt(12, 1, 4, 12)).toBe(0);
    expect(effectiveWarmup(100, 300)).toBe(30);
    expect(effectiveWarmup(100, 5000)).toBe(100);
  });
});
