import { describe, expect, it } from 'vitest';
import { createCpuBackend } from '../gpu/cpu';
import type { Embedder } from '../models/types';
import { defaultMiningConfig } from './defaults';
import { mineHardNegatives } from './mining';
import type { MiningConfig } from './types';

// Query "q" sits at angle 0; every passage's cosine to it is its name's number.
const COS: Record<string, number> = {
  q: 1,
  P: 0.9,
  d95: 0.95,
  d85: 0.85,
  d80: 0.8,
  d50: 0.5,
  d10: 0.1,
  e70: 0.7,
};
const fake: Embedder = {
  id: 'fake',
  dim: 2,
  templates: { query: '{text}', passage: '{text}' },
  async embed(_b, texts) {
    const out = new Float32Array(texts.length * 2);
    texts.forEach((t, i) => {
      const c = COS[t];
      if (c === undefined) throw new Error(`unknown text ${t}`);
      out[i * 2] = c;
      out[i * 2 + 1] = Math.sqrt(1 - c * c);
    });
    return out;
  },
};
const corpus = ['d10', 'P', 'd80', 'd95', 'P', 'd50', 'd85'];
const pairs = [{ query: 'q', positive: 'P' }];

async function mine(over: Partial<MiningConfig>, seed = 1) {
  const cfg = { ...defaultMiningConfig(), ...over };
  return mineHardNegatives(createCpuBackend(), fake, pairs, corpus, cfg, { seed });
}

describe('mineHardNegatives', () => {
  it("takes the best-ranked non-positives ('top') and never the positive or its duplicates", async () => {
    const r = await mine({ numNegatives: 3 });
    expect(r.pairs[0].negatives).toEqual(['d95', 'd85', 'd80']);
    const all = await mine({ numNegatives: 10 });
    expect(all.pairs[0].negatives).toEqual(['d95', 'd85', 'd80', 'd50', 'd10']);
    expect(all.pairs[0].negatives).not.toContain('P');
    expect(all.short).toBe(1);
    expect(all.meanPositive).toBeCloseTo(0.9, 5);
  });

  it('keeps the window [rangeMin, rangeMax) of the ranking without the positive', async () => {
    const r = await mine({ numNegatives: 5, rangeMin: 1, rangeMax: 3 });
    expect(r.pairs[0].negatives).toEqual(['d85', 'd80']);
  });

  it('absolute margin: neg <= pos - margin (0.9 - 0.09 keeps 0.8, drops 0.85)', async () => {
    const r = await mine({ numNegatives: 2, absoluteMargin: 0.09 });
    expect(r.pairs[0].negatives).toEqual(['d80', 'd50']);
  });

  it('relative margin: neg <= pos * (1 - margin)', async () => {
    const r = await mine({ numNegatives: 2, relativeMargin: 0.05 });
    // 0.9 * 0.95 = 0.855: d85 passes, d95 does not
    expect(r.pairs[0].negatives).toEqual(['d85', 'd80']);
    const r2 = await mine({ numNegatives: 2, relativeMargin: 0.5 });
    expect(r2.pairs[0].negatives).toEqual(['d10']);
  });

  it('maxScore and minScore bounds', async () => {
    const r = await mine({ numNegatives: 5, maxScore: 0.84, minScore: 0.6 });
    expect(r.pairs[0].negatives).toEqual(['d80']);
    expect(r.short).toBe(1);
  });

  it("'random' draws a seeded subset of the eligible window", async () => {
    const seen = new Set<string>();
    for (let seed = 0; seed < 20; seed++) {
      const a = await mine({ numNegatives: 2, sampling: 'random', rangeMin: 0, rangeMax: 4 }, seed);
      const b = await mine({ numNegatives: 2, sampling: 'random', rangeMin: 0, rangeMax: 4 }, seed);
      expect(a.pairs[0].negatives).toEqual(b.pairs[0].negatives);
      expect(a.pairs[0].negatives).toHaveLength(2);
      for (const n of a.pairs[0].negatives!) {
        expect(['d95', 'd85', 'd80', 'd50']).toContain(n);
        seen.add(n);
      }
    }
    expect(seen.size).toBe(4);
  });

  it('rejects a bad window', async () => {
    await expect(mine({ rangeMin: 5, rangeMax: 5 })).rejects.toThrow(RangeError);
  });
});
