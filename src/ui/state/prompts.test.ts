import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import { uiApp } from '../../testing/ui-app';

const SEARCH = {
  model: 'glove',
  dataset: 'demo',
  split: 'dev',
  candidates: ['Retrieve the passage that answers this question'],
  mutate: false,
  seed: 5,
  budget: 300,
  eta: 2,
  minQueries: 6,
};

describe('UI store: prompts (issue 11 item 5)', () => {
  it('runs a search as a job with its leaderboard in the progress, keeps a cancelled one on screen, lists the stored one after a reload, scores test once and applies the winner', async () => {
    const name = `ui-prompts-${Date.now()}`;
    const { store, db } = uiApp(name);
    await store.getState().hydrate();
    await store.getState().setBackendPref('cpu');
    await store.getState().loadDemo();
    await store.getState().splitDataset({
      dataset: 'demo',
      from: 'test',
      into: [
        { name: 'dev', fraction: 0.5 },
        { name: 'test', fraction: 0.5 },
      ],
      seed: 1,
      replace: true,
    });
    expect(store.getState().promptSearches).toEqual([]);

    // cancelled as soon as the search reports: nothing stored, the leaderboard so far is kept on screen
    const unsub = store.subscribe((s) => {
      const j = Object.values(s.jobs).find((x) => x.kind === 'prompts');
      if (j?.prompts && !j.cancelling) s.cancelJob(j.id);
    });
    expect(await store.getState().startPromptSearch(SEARCH)).toBeUndefined();
    unsub();
    expect(store.getState().promptCancelled).not.toBeNull();
    expect(store.getState().promptSearches).toEqual([]);
    expect(store.getState().errors).toEqual([]);

    // a whole search: the job shows the leaderboard while it runs, and the record is listed
    let live = 0;
    const unsub2 = store.subscribe((s) => {
      const j = Object.values(s.jobs).find((x) => x.kind === 'prompts');
      if (j?.prompts?.leaderboard.length) live++;
    });
    const rec = await store.getState().startPromptSearch(SEARCH);
    unsub2();
    expect(live).toBeGreaterThan(0);
    expect(rec?.result.leaderboard.length).toBeGreaterThan(1);
    expect(store.getState().promptCancelled).toBeNull();
    expect(store.getState().promptSearches.map((r) => r.id)).toEqual([rec!.id]);
    expect(store.getState().jobs).toEqual({});

    const scored = await store.getState().scorePromptOnTest(rec!.id);
    expect(scored?.test?.split).toBe('test');
    expect(store.getState().promptSearches[0].test).toEqual(scored!.test);
    // a second time is refused with the reason shown
    expect(await store.getState().scorePromptOnTest(rec!.id)).toBeUndefined();
    expect(store.getState().errors.at(-1)?.message).toContain('already scored on test');

    expect(await store.getState().applyPrompt('glove', 'Find the answer')).toBe(true);
    expect(store.getState().modelTemplates.glove.templates).toMatchObject({
      query: '{instruction}\nQuery: {text}',
      instruction: 'Find the answer',
    });
    expect(store.getState().models.find((m) => m.id === 'glove')?.custom).toBe(true);
    expect(await store.getState().applyPrompt('glove', 'bad {x}')).toBe(false);
    expect(store.getState().errors.at(-1)).toMatchObject({ context: 'Use the prompt for glove' });

    // a reload shows the last search with its test score
    (await db()).close();
    const again = uiApp(name).store;
    await again.getState().hydrate();
    expect(again.getState().promptSearches.map((r) => r.id)).toEqual([rec!.id]);
    expect(again.getState().promptSearches[0].test?.ndcg10).toBe(scored!.test!.ndcg10);
  }, 120_000);
});
