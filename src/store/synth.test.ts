import 'fake-indexeddb/auto';
import { afterEach, describe, expect, it } from 'vitest';
import type { SynthItem } from '../synth/types';
import { openStudioDb } from './db';
import {
  createSynthSet,
  decideSynthItems,
  deleteSynthSet,
  getSynthSet,
  listSynthItems,
  listSynthSets,
  pageSynthItems,
  SynthItemNotFoundError,
} from './synth';
import { listTrainRuns } from './training';

let n = 0;
const fresh = () => `synth-store-${++n}-${Date.now()}`;
const opened: { close(): void }[] = [];
afterEach(() => {
  for (const d of opened.splice(0)) d.close();
});

const prov = { method: 'ict', settings: { seed: 1 }, createdAt: '2026-01-01T00:00:00.000Z' };
const item = (set: string, id: string): SynthItem => ({
  id,
  set,
  docId: id,
  query: `query ${id}`,
  positive: `positive ${id}`,
  negatives: [{ text: `neg ${id}`, provenance: { ...prov, method: 'mined' } }],
  provenance: prov,
  status: 'pending',
});
const setRec = (id: string) => ({
  id,
  name: `set ${id}`,
  dataset: 'demo',
  method: 'ict',
  settings: { perDoc: 1 },
  createdAt: '2026-01-01T00:00:00.000Z',
});

describe('synthetic sets in IndexedDB', () => {
  it('upgrades a v6 database (training runs kept) to one with synthetic sets and items', async () => {
    const name = fresh();
    const v6 = await openStudioDb(name, 6);
    expect(v6.objectStoreNames.contains('synthSets')).toBe(false);
    const raw = v6 as unknown as import('idb').IDBPDatabase;
    await raw.put('trainRuns', { id: 'r1', createdAt: 't', spec: { name: 'old' } });
    v6.close();
    const db = await openStudioDb(name);
    opened.push(db);
    expect((await listTrainRuns(db)).map((r) => r.id)).toEqual(['r1']);
    expect([...db.transaction('synthItems').store.indexNames].sort()).toEqual(['by-set', 'by-set-status']);
    await createSynthSet(setRec('s1'), [item('s1', 'a'), item('s1', 'b')], db);
    expect((await listSynthSets(db)).map((s) => [s.id, s.counts.total])).toEqual([['s1', 2]]);
  });

  it('each decision is stored with the counts in one transaction; a failing batch changes nothing', async () => {
    const db = await openStudioDb(fresh());
    opened.push(db);
    await createSynthSet(setRec('s1'), [item('s1', 'a'), item('s1', 'b'), item('s1', 'c')], db);
    await createSynthSet(setRec('s2'), [item('s2', 'a')], db);
    await decideSynthItems('s1', [{ item: 'a', decision: { kind: 'status', status: 'accepted' } }], db);
    expect((await getSynthSet('s1', db)).counts).toEqual({ total: 3, pending: 2, accepted: 1, rejected: 0 });
    expect((await listSynthItems('s1', 'accepted', db)).map((i) => i.id)).toEqual(['a']);
    // b would be rejected, then "zz" does not exist: neither b nor the counts move
    await expect(
      decideSynthItems(
        's1',
        [
          { item: 'b', decision: { kind: 'status', status: 'rejected' } },
          { item: 'zz', decision: { kind: 'status', status: 'rejected' } },
        ],
        db,
      ),
    ).rejects.toBeInstanceOf(SynthItemNotFoundError);
    expect((await getSynthSet('s1', db)).counts).toEqual({ total: 3, pending: 2, accepted: 1, rejected: 0 });
    expect((await listSynthItems('s1', 'rejected', db)).length).toBe(0);
    // a false negative flag, then unflagged
    const [fn] = (
      await decideSynthItems(
        's1',
        [{ item: 'c', decision: { kind: 'false-negative', index: 0, value: true } }],
        db,
      )
    ).items;
    expect(fn.negatives[0].falseNegative).toBe(true);
    await expect(
      decideSynthItems(
        's1',
        [{ item: 'c', decision: { kind: 'false-negative', index: 3, value: true } }],
        db,
      ),
    ).rejects.toThrow('item "c" has no negative 3 (it has 1)');
    // pages through the index, by status or all
    expect((await pageSynthItems('s1', undefined, 1, 5, db)).map((i) => i.id)).toEqual(['b', 'c']);
    expect((await pageSynthItems('s1', 'pending', 0, 1, db)).map((i) => i.id)).toEqual(['b']);
    expect((await pageSynthItems('s1', 'pending', 1, 1, db)).map((i) => i.id)).toEqual(['c']);
    expect(await pageSynthItems('s1', 'pending', 2, 1, db)).toEqual([]);
    // deleting one set leaves the other's items
    await deleteSynthSet('s1', db);
    expect(await listSynthItems('s1', undefined, db)).toEqual([]);
    expect((await listSynthItems('s2', undefined, db)).map((i) => i.id)).toEqual(['a']);
    expect((await listSynthSets(db)).map((s) => s.id)).toEqual(['s2']);
  });
});
