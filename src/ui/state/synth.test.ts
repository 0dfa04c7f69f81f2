/**
 * The Synthesize tab's store (issue 9 item 3): the UI store joined in-process to the real worker engine
 * over fake-indexeddb. Decisions are stored as made (a second store on the same database sees them),
 * undo restores, bulk decisions and deletions ask first with the count.
 */
import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import { DEFAULT_ENDPOINT_CONFIG } from '../../synth/endpoint-config';
import { DEFAULT_PSEUDO } from '../../synth/pseudo';
import { uiApp } from '../../testing/ui-app';
import { filterWords } from './synth';

let n = 0;
const dbName = () => `ui-synth-${++n}-${Date.now()}`;
const req = {
  dataset: 'demo',
  method: 'ict' as const,
  options: { ...DEFAULT_PSEUDO, minDocWords: 20 },
  negatives: 1,
};

describe('the Synthesize store', () => {
  it('keeps the LLM server settings over a reload, the API key only when "remember" was ticked', async () => {
    const name = dbName();
    const { store } = uiApp(name);
    await store.getState().hydrate();
    const cfg = { ...DEFAULT_ENDPOINT_CONFIG, baseUrl: 'http://localhost:11434', model: 'qwen3:0.6b' };
    store.getState().rememberEndpoint({ ...cfg, apiKey: 'sk-secret' });
    expect(store.getState().llmEndpoint.apiKey).toBe('sk-secret'); // in memory for this session
    await new Promise((r) => setTimeout(r, 50)); // the settings write is not awaited by the form
    let again = uiApp(name).store;
    await again.getState().hydrate();
    expect(again.getState().llmEndpoint).toMatchObject({ baseUrl: 'http://localhost:11434', apiKey: '' });
    again.getState().rememberEndpoint({ ...cfg, apiKey: 'sk-kept', rememberKey: true });
    await new Promise((r) => setTimeout(r, 50));
    again = uiApp(name).store;
    await again.getState().hydrate();
    expect(again.getState().llmEndpoint).toMatchObject({ model: 'qwen3:0.6b', apiKey: 'sk-kept' });
  });

  it('generates, reviews with undo, and a fresh store (a reload) finds every decision', async () => {
    const name = dbName();
    const { store } = uiApp(name);
    await store.getState().hydrate();
    await store.getState().loadDemo();
    const set = await store.getState().generateSynth(req);
    expect(set).toBeDefined();
    let s = store.getState();
    expect(s.synthSet).toBe(set?.id);
    expect(s.synthPage?.items.length).toBeGreaterThan(3);
    const ids = s.synthPage?.items.map((i) => i.id) ?? [];

    await s.synthSetStatus('accepted'); // item 0, focus moves to 1
    expect(store.getState().synthFocus).toBe(1);
    await store.getState().synthSetStatus('rejected'); // item 1 -> focus 2
    await store.getState().synthToggleFalseNegative(0); // item 2's negative
    expect(await store.getState().synthEdit({ query: 'edited query' })).toBe(true); // item 2 accepted
    await store.getState().synthMove(1); // item 3
    await store.getState().synthSetStatus('accepted');
    await store.getState().synthUndoLast(); // item 3 back to pending, focused
    s = store.getState();
    expect(s.synthFocus).toBe(3);
    expect(s.synthPage?.items[3].status).toBe('pending');
    expect(s.synthSets[0].counts).toMatchObject({ accepted: 2, rejected: 1 });
    await store.getState().synthMove(-3);
    expect(store.getState().synthFocus).toBe(0);

    // a reload: a new store on the same database
    const again = uiApp(name).store;
    await again.getState().hydrate();
    const p = again.getState().synthPage;
    const byId = new Map(p?.items.map((i) => [i.id, i]));
    expect(byId.get(ids[0])?.status).toBe('accepted');
    expect(byId.get(ids[1])?.status).toBe('rejected');
    expect(byId.get(ids[2])).toMatchObject({ status: 'accepted', query: 'edited query', edited: true });
    expect(byId.get(ids[2])?.negatives[0].falseNegative).toBe(true);
    expect(byId.get(ids[3])?.status).toBe('pending');
    expect(again.getState().synthSets[0].counts).toMatchObject({ accepted: 2, rejected: 1 });
  }, 60_000);

  it('bulk decisions and deletion ask first, with the count; a no changes nothing', async () => {
    const { store, asked, answers } = uiApp(dbName());
    await store.getState().hydrate();
    await store.getState().loadDemo();
    await store.getState().generateSynth(req);
    await store.getState().setSynthFilter({ status: 'pending' });
    const total = store.getState().synthPage?.total ?? 0;
    answers.push(false);
    await store.getState().synthBulk('accepted');
    expect(asked[0]).toBe(
      `Accept all ${total} items shown by the filter (pending items)? Each is marked accepted and stored at once; items already accepted stay as they are. This cannot be undone with u.`,
    );
    expect(store.getState().synthSets[0].counts.accepted).toBe(0);
    await store.getState().synthBulk('accepted');
    expect(store.getState().synthSets[0].counts).toMatchObject({ accepted: total, pending: 0 });

    const id = store.getState().synthSets[0].id;
    answers.push(false);
    await store.getState().deleteSynthSet(id);
    expect(asked[2]).toMatch(
      /^Delete the synthetic set ".*" \(\d+ items, \d+ accepted, 0 rejected\) with all its items/,
    );
    expect(store.getState().synthSets).toHaveLength(1);
    await store.getState().deleteSynthSet(id);
    expect(store.getState().synthSets).toHaveLength(0);
    expect(store.getState().synthPage).toBeNull();
  }, 60_000);

  it('a JSONL import with a bad line shows the file and line and stores nothing', async () => {
    const { store } = uiApp(dbName());
    await store.getState().hydrate();
    const bad = new File(['{"query": "q", "positive": "p"}\n{"query": 3, "positive": "p"}\n'], 'pairs.jsonl');
    expect(await store.getState().importSynth(bad)).toBeUndefined();
    expect(store.getState().errors).toMatchObject([
      { context: 'Import pairs.jsonl', name: 'DataError', file: 'pairs.jsonl', line: 2 },
    ]);
    expect(store.getState().synthSets).toEqual([]);
    const good = new File(['{"query": "q", "positive": "p", "negatives": ["a", "b"]}\n'], 'pairs.jsonl');
    const rec = await store.getState().importSynth(good);
    expect(rec).toMatchObject({ name: 'pairs', method: 'import', counts: { total: 1, pending: 1 } });
    expect(store.getState().synthPage?.items[0].negatives.map((n) => n.text)).toEqual(['a', 'b']);
  });

  it('title/key-phrase items carry a score the score filter uses', async () => {
    const { store } = uiApp(dbName());
    await store.getState().hydrate();
    await store.getState().loadDemo();
    await store
      .getState()
      .generateSynth({ ...req, method: 'title', options: { ...req.options, method: 'title', perDoc: 2 } });
    const all = store.getState().synthPage?.total ?? 0;
    const scores = (store.getState().synthPage?.items ?? [])
      .map((i) => i.score)
      .filter((x) => x !== undefined);
    expect(scores.length).toBeGreaterThan(0);
    const cut = [...scores].sort((a, b) => a - b)[Math.floor(scores.length / 2)];
    await store.getState().setSynthFilter({ minScore: cut });
    const some = store.getState().synthPage?.total ?? 0;
    expect(some).toBeGreaterThan(0);
    expect(some).toBeLessThan(all);
    expect(store.getState().synthPage?.items.every((i) => (i.score ?? -1) >= cut)).toBe(true);
  }, 60_000);

  it('says a filter in words', () => {
    expect(filterWords({})).toBe('items');
    expect(filterWords({ status: 'pending', method: 'title', minScore: 0.2 })).toBe(
      'pending TITLE items with score ≥ 0.2',
    );
  });
});
