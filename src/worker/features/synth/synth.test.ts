/**
 * The synthesize feature through the real engine (in-process, fake-indexeddb): generate a set from the
 * demo, page and filter it, decide (with undo), bulk decide, export/import JSONL, delete; and training on
 * a reviewed set (item 4).
 */
import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import { DEFAULT_PSEUDO } from '../../../synth/pseudo';
import { listSynthItems } from '../../../store/synth';
import type { TrainSpec } from '../../../store/training-types';
import { nodeEngineDeps } from '../../../testing/engine-deps';
import { defaultTrainConfig } from '../../../train/defaults';
import { connectInProcess } from '../../local';

let n = 0;
async function setup() {
  const dbName = `synth-test-${++n}-${Date.now()}`;
  const deps = nodeEngineDeps(dbName);
  const { client } = connectInProcess(deps);
  await client.request('init', { baseUrl: 'http://localhost/', backend: 'cpu' });
  await client.request('load-demo', {});
  return { client, db: deps.db };
}
type Client = Awaited<ReturnType<typeof setup>>['client'];

const ict = { ...DEFAULT_PSEUDO, method: 'ict' as const, perDoc: 1, minDocWords: 20, seed: 7 };
async function generate(client: Client) {
  const phases: string[] = [];
  const set = await client.start('synth-generate', { dataset: 'demo', method: 'ict', options: ict }, (p) =>
    phases.push(p.phase),
  ).promise;
  return { set, phases };
}

function spec(set: string, policy: 'accepted' | 'not-rejected'): TrainSpec {
  return {
    name: 'synth expert',
    baseModel: 'glove',
    data: { kind: 'synth', set, policy },
    mining: null,
    config: {
      ...defaultTrainConfig('adapter'),
      steps: 3,
      batchSize: 4,
      warmupSteps: 1,
      checkpointEvery: 3,
      devEvery: 0,
      hardNegatives: 0,
      adapter: { kind: 'lowrank' as const, rank: 4 },
    },
    dev: null,
  };
}

describe('synthesize feature', () => {
  it('generates an ICT set for a stored dataset with progress, provenance and counts', async () => {
    const { client } = await setup();
    const { set, phases } = await generate(client);
    expect(phases).toContain('generate');
    expect(set).toMatchObject({
      dataset: 'demo',
      method: 'ict',
      settings: { perDoc: 1, seed: 7, minDocWords: 20 },
    });
    expect(set.counts.total).toBeGreaterThan(10);
    expect(set.counts).toEqual({
      total: set.counts.total,
      pending: set.counts.total,
      accepted: 0,
      rejected: 0,
    });
    expect(await client.request('list-synth-sets', {})).toEqual([set]);
    const page = await client.request('synth-items', { set: set.id, filter: {}, offset: 0, limit: 5 });
    expect(page.total).toBe(set.counts.total);
    expect(page.items).toHaveLength(5);
    expect(page.methods).toEqual(['ict']);
    const it0 = page.items[0];
    expect(it0.provenance.method).toBe('ict');
    expect(it0.positive).not.toContain(it0.query);
    // the same seed writes the same set again (a second set, its own name)
    const again = await generate(client);
    expect(again.set.name).not.toBe(set.name);
    const p2 = await client.request('synth-items', { set: again.set.id, filter: {}, offset: 0, limit: 5 });
    expect(p2.items.map((i) => i.query)).toEqual(page.items.map((i) => i.query));
  }, 60_000);

  it("mines BM25 hard negatives from the same corpus, never the item's own document", async () => {
    const { client } = await setup();
    const set = await client.request('synth-generate', {
      dataset: 'demo',
      method: 'ict',
      options: ict,
      negatives: 2,
    });
    expect(set.settings.bm25Negatives).toBe(2);
    const { items } = await client.request('synth-items', {
      set: set.id,
      filter: {},
      offset: 0,
      limit: 1000,
    });
    expect(items.length).toBe(set.counts.total);
    // a query whose words occur only in its own document gets fewer
    expect(items.filter((it) => it.negatives.length === 2).length).toBeGreaterThan(0.9 * items.length);
    for (const it of items) {
      expect(it.negatives.length).toBeLessThanOrEqual(2);
      for (const neg of it.negatives) {
        expect(neg.docId).not.toBe(it.docId);
        expect(neg.provenance).toMatchObject({ method: 'mined', model: 'bm25' });
      }
    }
  }, 60_000);

  it('a cancel while negatives are mined stores nothing', async () => {
    const { client } = await setup();
    const h = client.start(
      'synth-generate',
      { dataset: 'demo', method: 'ict', options: ict, negatives: 2 },
      (p) => {
        if (p.phase === 'mine') h.cancel();
      },
    );
    await expect(h.promise).rejects.toMatchObject({ name: 'AbortError' });
    expect(await client.request('list-synth-sets', {})).toEqual([]);
  }, 60_000);

  it('refuses bad options naming the field, and a dataset with no long-enough document', async () => {
    const { client } = await setup();
    await expect(
      client.request('synth-generate', { dataset: 'demo', method: 'ict', options: { ...ict, perDoc: 0 } }),
    ).rejects.toMatchObject({
      name: 'ProtocolError',
      message: 'options.perDoc must be an integer in 1..100',
    });
    await expect(
      client.request('synth-generate', {
        dataset: 'demo',
        method: 'ict',
        options: { ...ict, minDocWords: 99_999 },
      }),
    ).rejects.toThrow(/no ict item could be written for "demo".*lower "minimum document length"/);
    expect(await client.request('list-synth-sets', {})).toEqual([]);
  }, 60_000);

  it('stores each decision with the counts; undo restores; filters; bulk decide; delete removes the items', async () => {
    const { client, db } = await setup();
    const { set } = await generate(client);
    const [a, b, c] = (await client.request('synth-items', { set: set.id, filter: {}, offset: 0, limit: 3 }))
      .items;
    const r1 = await client.request('synth-decide', {
      set: set.id,
      item: a.id,
      decision: { kind: 'status', status: 'accepted' },
    });
    expect(r1.item).toMatchObject({ id: a.id, status: 'accepted' });
    expect(r1.set.counts).toMatchObject({ accepted: 1, pending: set.counts.total - 1 });
    await client.request('synth-decide', {
      set: set.id,
      item: b.id,
      decision: { kind: 'status', status: 'rejected' },
    });
    const edited = await client.request('synth-decide', {
      set: set.id,
      item: c.id,
      decision: { kind: 'edit', query: 'a better query', status: 'accepted' },
    });
    expect(edited.item).toMatchObject({ query: 'a better query', edited: true, status: 'accepted' });
    expect(edited.item.provenance.settings.originalQuery).toBe(c.query);
    // undo of the edit: the item as it was, and the counts back
    const undone = await client.request('synth-decide', {
      set: set.id,
      item: c.id,
      decision: { kind: 'restore', item: c },
    });
    expect(undone.item).toEqual(c);
    expect(undone.set.counts).toMatchObject({ accepted: 1, rejected: 1, pending: set.counts.total - 2 });
    // stored as made: read straight from IndexedDB
    const stored = await listSynthItems(set.id, 'accepted', await db());
    expect(stored.map((i) => i.id)).toEqual([a.id]);

    const rej = await client.request('synth-items', {
      set: set.id,
      filter: { status: 'rejected' },
      offset: 0,
      limit: 10,
    });
    expect(rej.items.map((i) => i.id)).toEqual([b.id]);
    expect(
      (
        await client.request('synth-items', {
          set: set.id,
          filter: { method: 'title' },
          offset: 0,
          limit: 10,
        })
      ).total,
    ).toBe(0);
    // ICT items have no score: a score range shows none of them
    expect(
      (await client.request('synth-items', { set: set.id, filter: { minScore: 0 }, offset: 0, limit: 10 }))
        .total,
    ).toBe(0);

    const bulk = await client.request('synth-bulk-decide', {
      set: set.id,
      filter: { status: 'pending' },
      status: 'rejected',
    });
    expect(bulk.changed).toBe(set.counts.total - 2);
    expect(bulk.set.counts).toEqual({
      total: set.counts.total,
      pending: 0,
      accepted: 1,
      rejected: set.counts.total - 1,
    });

    await client.request('delete-synth-set', { set: set.id });
    expect(await client.request('list-synth-sets', {})).toEqual([]);
    expect(await listSynthItems(set.id, undefined, await db())).toEqual([]);
    await expect(
      client.request('synth-items', { set: set.id, filter: {}, offset: 0, limit: 1 }),
    ).rejects.toMatchObject({
      name: 'SynthSetNotFoundError',
    });
  }, 60_000);

  it('exports sentence-transformers JSONL by policy; imports it back; a bad line names file:line and stores nothing', async () => {
    const { client } = await setup();
    const { set } = await generate(client);
    const [a, b] = (await client.request('synth-items', { set: set.id, filter: {}, offset: 0, limit: 2 }))
      .items;
    await client.request('synth-decide', {
      set: set.id,
      item: a.id,
      decision: { kind: 'status', status: 'accepted' },
    });
    await client.request('synth-decide', {
      set: set.id,
      item: b.id,
      decision: { kind: 'status', status: 'rejected' },
    });
    const acc = await client.request('synth-export', { set: set.id, policy: 'accepted' });
    expect(acc.count).toBe(1);
    expect(acc.text).toBe(JSON.stringify({ query: a.query, positive: a.positive }) + '\n');
    const nr = await client.request('synth-export', { set: set.id, policy: 'not-rejected' });
    expect(nr.count).toBe(set.counts.total - 1);
    expect(nr.fileName).toMatch(/\.not-rejected\.jsonl$/);

    const lines = [
      { query: 'q one', positive: 'p one', negative: 'n one' },
      { query: 'q two', positive: 'p two', negatives: ['n2a', 'n2b'] },
    ];
    const file = new File([lines.map((l) => JSON.stringify(l)).join('\n') + '\n'], 'mine.jsonl');
    const imp = await client.request('synth-import', { file });
    expect(imp).toMatchObject({ name: 'mine', method: 'import', counts: { total: 2, pending: 2 } });
    const items = (await client.request('synth-items', { set: imp.id, filter: {}, offset: 0, limit: 10 }))
      .items;
    expect(items.map((i) => [i.query, i.negatives.map((x) => x.text)])).toEqual([
      ['q one', ['n one']],
      ['q two', ['n2a', 'n2b']],
    ]);
    // a negative marked false is left out of the export; one left gives "negative", two "negatives"
    await client.request('synth-decide', {
      set: imp.id,
      item: items[1].id,
      decision: { kind: 'false-negative', index: 0, value: true },
    });
    const ex = await client.request('synth-export', { set: imp.id, policy: 'not-rejected' });
    expect(
      ex.text
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as unknown),
    ).toEqual([
      { query: 'q one', positive: 'p one', negative: 'n one' },
      { query: 'q two', positive: 'p two', negative: 'n2b' },
    ]);

    const before = await client.request('list-synth-sets', {});
    const bad = new File(['{"query": "ok", "positive": "fine"}\n{"query": "no positive"}\n'], 'bad.jsonl');
    await expect(client.request('synth-import', { file: bad })).rejects.toMatchObject({
      name: 'DataError',
      message: expect.stringMatching(/bad\.jsonl:2/),
    });
    expect(await client.request('list-synth-sets', {})).toEqual(before);
  }, 60_000);

  it('trains an expert from the accepted items; the recipe records the set, policy and counts; an unusable set is refused first', async () => {
    const { client } = await setup();
    const { set } = await generate(client);
    await expect(
      client.request('train', { spec: spec(set.id, 'accepted'), backend: 'cpu' }),
    ).rejects.toMatchObject({
      name: 'SynthSetUnusableError',
      message: expect.stringMatching(
        /has no item to train on under "accepted only": accept items in the Synthesize tab first/,
      ),
    });
    expect(await client.request('list-train-runs', {})).toEqual([]);
    const page = (await client.request('synth-items', { set: set.id, filter: {}, offset: 0, limit: 6 }))
      .items;
    for (const it of page)
      await client.request('synth-decide', {
        set: set.id,
        item: it.id,
        decision: { kind: 'status', status: 'accepted' },
      });
    const run = await client.request('train', { spec: spec(set.id, 'accepted'), backend: 'cpu' });
    expect(run).toMatchObject({ status: 'done', pairs: 6 });
    const [expert] = await client.request('list-experts', {});
    expect(expert.data).toMatchObject({
      source: `synthetic set "${set.name}" (accepted only)`,
      pairs: 6,
      negatives: 'in-batch only',
      synth: {
        set: set.id,
        name: set.name,
        policy: 'accepted',
        used: 6,
        counts: { total: set.counts.total, accepted: 6, pending: set.counts.total - 6, rejected: 0 },
      },
    });
  }, 120_000);
});
