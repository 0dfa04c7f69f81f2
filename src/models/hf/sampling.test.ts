import { describe, expect, it } from 'vitest';
import { Rng } from '../../util/rng';
import { argmax, sampleToken, samplingDistribution } from './sampling';

/**
 * A plain reference of transformers' TemperatureLogitsWarper + TopPLogitsWarper: scale, softmax over the
 * whole vocabulary, sort ascending, drop the tokens whose ascending cumulative probability is <= 1 - p
 * (never the most probable), renormalise. Returns id -> probability.
 */
function reference(logits: number[], temperature: number, topP: number): Map<number, number> {
  const s = logits.map((l) => l / temperature);
  const m = Math.max(...s);
  const e = s.map((x) => Math.exp(x - m));
  const z = e.reduce((a, b) => a + b, 0);
  const p = e.map((x) => x / z);
  // ascending by probability; among equals the higher id first (so the lower id ranks as more probable)
  const asc = p.map((_, i) => i).sort((a, b) => p[a] - p[b] || b - a);
  let cum = 0;
  const keep: number[] = [];
  asc.forEach((i, r) => {
    cum += p[i];
    if (cum > 1 - topP || r === asc.length - 1) keep.push(i);
  });
  const kz = keep.reduce((a, i) => a + p[i], 0);
  return new Map(keep.map((i) => [i, p[i] / kz]));
}

function randomLogits(n: number, seed: number, spread: number): number[] {
  const r = new Rng(seed);
  return Array.from({ length: n }, () => spread * r.normal());
}

describe('sampling', () => {
  it('greedy is the arg max (the first of equal maxima) and draws nothing', () => {
    expect(argmax([0.1, 3, -1, 3])).toBe(1);
    const rng = new Rng(5);
    const before = new Rng(5).next();
    expect(sampleToken(Float32Array.of(0.1, 3, -1, 3), { temperature: 0, topP: 0.5 }, rng)).toBe(1);
    expect(rng.next()).toBe(before);
  });

  it('temperature and top-p give the distribution of the plain reference', () => {
    for (const [n, seed, spread] of [
      [7, 1, 1],
      [50, 2, 3],
      [300, 3, 0.5],
      [2000, 4, 4],
    ] as const) {
      const logits = randomLogits(n, seed, spread);
      for (const temperature of [0.3, 0.7, 1, 1.8])
        for (const topP of [1, 0.95, 0.8, 0.5, 0.1, 1e-6]) {
          const got = samplingDistribution(Float32Array.from(logits), { temperature, topP });
          const want = reference(Array.from(Float32Array.from(logits)), temperature, topP);
          const label = `n=${n} T=${temperature} p=${topP}`;
          expect(
            [...got.ids].sort((a, b) => a - b),
            label,
          ).toEqual([...want.keys()].sort((a, b) => a - b));
          got.ids.forEach((id, k) => expect(got.probs[k], label).toBeCloseTo(want.get(id)!, 12));
          // most probable first
          for (let k = 1; k < got.probs.length; k++)
            expect(got.probs[k]).toBeLessThanOrEqual(got.probs[k - 1]);
        }
    }
  });

  it('a hand-worked nucleus: probabilities .5 .3 .15 .05 keep 2 tokens at p=.79 and 3 at p=.81', () => {
    const logits = [0.5, 0.3, 0.15, 0.05].map(Math.log);
    expect(samplingDistribution(logits, { temperature: 1, topP: 0.79 }).ids).toEqual([0, 1]);
    expect(samplingDistribution(logits, { temperature: 1, topP: 0.81 }).ids).toEqual([0, 1, 2]);
    const d = samplingDistribution(logits, { temperature: 1, topP: 0.79 });
    expect(d.probs[0]).toBeCloseTo(0.5 / 0.8, 12);
  });

  it('draws follow the distribution (frequencies within 4 standard errors) and repeat by seed', () => {
    const logits = Float32Array.from(randomLogits(20, 9, 1.5));
    for (const o of [
      { temperature: 0.9, topP: 0.9 },
      { temperature: 1.2, topP: 1 },
    ])
      checkDraws(logits, o);
  });

  function checkDraws(logits: Float32Array, o: { temperature: number; topP: number }): void {
    const { ids, probs } = samplingDistribution(logits, o);
    const N = 20000;
    const rng = new Rng(123);
    const counts = new Map<number, number>();
    for (let i = 0; i < N; i++) {
      const t = sampleToken(logits, o, rng);
      counts.set(t, (counts.get(t) ?? 0) + 1);
    }
    expect([...counts.keys()].every((t) => ids.includes(t))).toBe(true);
    ids.forEach((id, k) => {
      const se = Math.sqrt((probs[k] * (1 - probs[k])) / N);
      expect(Math.abs((counts.get(id) ?? 0) / N - probs[k])).toBeLessThan(4 * se + 1e-9);
    });
    const a = new Rng(77);
    const b = new Rng(77);
    const draws = (r: Rng) => Array.from({ length: 50 }, () => sampleToken(logits, o, r));
    expect(draws(a)).toEqual(draws(b));
  }

  it('rejects bad settings', () => {
    expect(() => samplingDistribution([1, 2], { temperature: -1, topP: 1 })).toThrow(/temperature/);
    expect(() => samplingDistribution([1, 2], { temperature: 1, topP: 0 })).toThrow(/topP/);
    expect(() => samplingDistribution([1, 2], { temperature: 1, topP: 1.5 })).toThrow(/topP/);
    expect(() => samplingDistribution([NaN, NaN], { temperature: 1, topP: 1 })).toThrow(/largest logit/);
  });
});
