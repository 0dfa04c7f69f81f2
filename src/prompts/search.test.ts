import { describe, expect, it } from 'vitest';
import { createCpuBackend } from '../gpu/cpu';
import { MemoryEmbeddingCache } from '../eval/embed-cache';
import { demoDevTest, recording, tinyQwen3 } from '../testing/prompt-fixture';
import { LIBRARY } from './library';
import { MUTATION_RULES } from './mutate';
import { PromptError } from './policy';
import { halvingSchedule, scorePrompt, searchPrompts } from './search';
import type { PromptSearchOptions, PromptSearchProgress } from './search-types';

const backend = createCpuBackend();

async function setup() {
  const dataset = await demoDevTest();
  const base = await tinyQwen3();
  return { dataset, base };
}

const opts = (
  o: Partial<PromptSearchOptions> & Pick<PromptSearchOptions, 'embedder' | 'dataset'>,
): PromptSearchOptions => ({
  backend,
  split: 'dev',
  candidates: [],
  taskType: 'medical-qa',
  seed: 1,
  budget: 10_000,
  minQueries: 6,
  ...o,
});

describe('searchPrompts', () => {
  it('halves: all candidates on a seeded subset, the top 1/eta on eta× the queries, up to the whole split', async () => {
    const { dataset, base } = await setup();
    const dev = dataset.qrels.dev.size;
    expect(halvingSchedule(dev, 6, 3)).toEqual(
      [6, 18, dev].filter((n, i, a) => n <= dev && a.indexOf(n) === i),
    );
    const rec = recording(base);
    const r = await searchPrompts(opts({ embedder: rec.embedder, dataset, mutate: false }));
    // baseline, the embedder's own instruction, the library's five
    expect(r.tried).toBe(2 + LIBRARY['medical-qa'].length);
    const origins = r.leaderboard.map((s) => s.candidate.origin).sort();
    expect(origins).toEqual(['baseline', 'current', ...Array(5).fill('library')]);
    expect(r.schedule).toEqual(halvingSchedule(dev, 6, 3));
    expect(r.best.queries).toBe(dev);
    // 7 on 6 queries, the top 3 on 18, the top 1 on all: the others' last rungs, by where the baseline fell
    const others = r.leaderboard.filter((s) => s.candidate.origin !== 'baseline').map((s) => s.queries);
    expect([
      [dev, 18, 18, 6, 6, 6], // the baseline out at rung 0
      [dev, 18, 6, 6, 6, 6], // out at rung 1
      [18, 18, 6, 6, 6, 6], // the baseline won
    ]).toContainEqual(others);
    expect(r.best.rung).toBe(r.schedule!.length - 1);
    // the baseline on the best's queries, and the spend is exactly the query embeddings made
    expect(r.baseline.queries).toBe(r.best.queries);
    expect(r.spent).toBe(rec.seen.filter((s) => s.role === 'query').length);
    // best first: most queries, then score
    for (let i = 1; i < r.leaderboard.length; i++) {
      const [a, b] = [r.leaderboard[i - 1], r.leaderboard[i]];
      expect(a.queries > b.queries || (a.queries === b.queries && a.ndcg10 >= b.ndcg10)).toBe(true);
      expect(a.ci[0]).toBeLessThanOrEqual(a.ndcg10);
      expect(a.ci[1]).toBeGreaterThanOrEqual(a.ndcg10);
    }
    // the best's figure over the whole split is scorePrompt's (the same scoring, summed in another order)
    const whole = await scorePrompt({
      embedder: base,
      backend,
      dataset,
      split: 'dev',
      instruction: r.best.candidate.instruction,
    });
    expect(whole.queries).toBe(dev);
    expect(r.best.ndcg10).toBeCloseTo(whole.ndcg10, 12);
  }, 120_000);

  it('is reproducible by seed, with mutations that record their parent and rule', async () => {
    const { dataset, base } = await setup();
    const a = recording(base);
    const b = recording(base);
    const c = recording(base);
    const r1 = await searchPrompts(opts({ embedder: a.embedder, dataset, seed: 11 }));
    const r2 = await searchPrompts(opts({ embedder: b.embedder, dataset, seed: 11 }));
    expect(r2).toEqual(r1);
    expect(b.seen).toEqual(a.seen);
    const mutants = r1.leaderboard.filter((s) => s.candidate.origin === 'mutation');
    expect(mutants.length).toBeGreaterThan(0);
    const ids = new Set(r1.leaderboard.map((s) => s.candidate.id));
    for (const m of mutants) {
      expect(ids.has(m.candidate.parent!)).toBe(true);
      expect(MUTATION_RULES).toContain(m.candidate.note);
    }
    // another seed deals other queries to the first rung
    await searchPrompts(opts({ embedder: c.embedder, dataset, seed: 12 }));
    const firstRung = (seen: { role: string; text: string }[]) =>
      seen
        .filter((s) => s.role === 'query')
        .slice(0, 6)
        .map((s) => s.text);
    expect(firstRung(c.seen)).not.toEqual(firstRung(a.seen));
  }, 120_000);

  it('never embeds a query of the test split, and refuses to search on it', async () => {
    const { dataset, base } = await setup();
    const text = new Map(dataset.queries.map((q) => [q.id, q.text]));
    const devTexts = new Set([...dataset.qrels.dev.keys()].map((id) => text.get(id)!));
    const testOnly = [...dataset.qrels.test.keys()]
      .map((id) => text.get(id)!)
      .filter((t) => !devTexts.has(t));
    expect(testOnly.length).toBeGreaterThan(10);
    const rec = recording(base);
    await searchPrompts(opts({ embedder: rec.embedder, dataset, budget: 100_000, minQueries: 100 }));
    const queries = rec.seen.filter((s) => s.role === 'query').map((s) => s.text);
    expect(queries.length).toBeGreaterThan(0);
    const asked = (t: string) => queries.some((q) => q === t || q.endsWith(`Query: ${t}`));
    for (const t of testOnly) expect(asked(t), t).toBe(false);
    for (const t of devTexts) expect(asked(t), t).toBe(true);
    for (const split of ['test', 'med_test', 'Test-2']) {
      const seen = recording(base);
      await expect(searchPrompts(opts({ embedder: seen.embedder, dataset, split }))).rejects.toThrow(
        PromptError,
      );
      expect(seen.seen).toEqual([]);
    }
    await expect(searchPrompts(opts({ embedder: base, dataset, split: 'test' }))).rejects.toThrow(
      /split "test" is a test split; search on a dev split/,
    );
  }, 120_000);

  it('keeps to the budget in query embeddings and says when it stopped for it', async () => {
    const { dataset, base } = await setup();
    const rec = recording(base);
    const r = await searchPrompts(opts({ embedder: rec.embedder, dataset, budget: 70 }));
    expect(r.spent).toBeLessThanOrEqual(70);
    expect(r.spent).toBe(rec.seen.filter((s) => s.role === 'query').length);
    expect(r.stopped).toMatch(/^budget: .* needs \d+ more query embeddings/);
    expect(r.baseline.queries).toBe(r.best.queries);
    await expect(searchPrompts(opts({ embedder: base, dataset, budget: 5 }))).rejects.toThrow(
      /budget \(5 query embeddings\) does not cover the baseline on the first rung's 6 queries/,
    );
    const full = await searchPrompts(opts({ embedder: base, dataset, budget: 100_000 }));
    expect(full.stopped).toBeUndefined();
  }, 120_000);

  it('reports progress with the leaderboard, embeds the corpus once through the cache, and cancels', async () => {
    const { dataset, base } = await setup();
    const cache = new MemoryEmbeddingCache();
    const events: PromptSearchProgress[] = [];
    const rec = recording(base);
    const r = await searchPrompts(
      opts({ embedder: rec.embedder, dataset, cache, onProgress: (p) => events.push(p) }),
    );
    expect(new Set(events.map((e) => e.phase))).toEqual(new Set(['embed-corpus', 'propose', 'score']));
    const last = events[events.length - 1];
    expect(last.leaderboard).toEqual(r.leaderboard);
    expect(last.spent).toBe(r.spent);
    expect(events.every((e) => e.spent <= e.budget && e.rungs === r.schedule!.length)).toBe(true);
    // documents carry no instruction: each embedded once, whatever the candidates
    expect(rec.seen.filter((s) => s.role === 'passage').length).toBe(dataset.docs.length);
    const again = recording(base);
    await searchPrompts(opts({ embedder: again.embedder, dataset, cache }));
    expect(again.seen.filter((s) => s.role === 'passage').length).toBe(0);

    const ctl = new AbortController();
    const stopAt = recording(base);
    const p = searchPrompts(
      opts({
        embedder: stopAt.embedder,
        dataset,
        signal: ctl.signal,
        onProgress: (e) => {
          if (e.phase === 'score' && e.done === 2) ctl.abort();
        },
      }),
    );
    await expect(p).rejects.toMatchObject({ name: 'AbortError' });
    expect(stopAt.seen.filter((s) => s.role === 'query').length).toBeLessThan(r.spent);
  }, 120_000);
});
