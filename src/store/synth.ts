/**
 * Synthetic sets and their review in IndexedDB: a set's record (provenance, settings, counts) in
 * `synthSets`, its items one record each in `synthItems` (keyed [set, id], indexed by set and by set and
 * status). Every decision is written as it is made, in one transaction with the set's counts.
 */
import type { ReviewStatus, SynthItem } from '../synth/types';
import { studioDb, writeTx, type StudioDB } from './db';
import { emptyCounts, type SynthCounts, type SynthSetRecord } from './synth-types';

export class SynthSetNotFoundError extends Error {
  constructor(id: string) {
    super(`no synthetic set "${id}" (it may have been deleted in another tab): reload the Synthesize tab`);
    this.name = 'SynthSetNotFoundError';
  }
}
export class SynthItemNotFoundError extends Error {
  constructor(set: string, id: string) {
    super(`no item "${id}" in synthetic set "${set}"`);
    this.name = 'SynthItemNotFoundError';
  }
}

/** What a reviewer does to one item. `restore` puts back a state it had before (undo). */
export type SynthDecision =
  | { kind: 'status'; status: ReviewStatus }
  | { kind: 'edit'; query?: string; positive?: string; status?: ReviewStatus }
  | { kind: 'false-negative'; index: number; value: boolean }
  | { kind: 'restore'; item: SynthItem };

export function countItems(items: readonly Pick<SynthItem, 'status'>[]): SynthCounts {
  const c = emptyCounts();
  for (const it of items) {
    c.total++;
    c[it.status]++;
  }
  return c;
}

/** The item after a decision (the original text of an edit is kept in provenance.settings). */
export function applyDecision(item: SynthItem, d: SynthDecision, now: string): SynthItem {
  switch (d.kind) {
    case 'restore':
      if (d.item.id !== item.id || d.item.set !== item.set)
        throw new Error(`undo of item "${item.id}" got the state of item "${d.item.id}"`);
      return d.item;
    case 'status':
      return { ...item, status: d.status, decidedAt: now };
    case 'false-negative': {
      if (!Number.isInteger(d.index) || d.index < 0 || d.index >= item.negatives.length)
        throw new Error(`item "${item.id}" has no negative ${d.index} (it has ${item.negatives.length})`);
      const negatives = item.negatives.map((n, i) => {
        if (i !== d.index) return n;
        const next = { ...n };
        if (d.value) next.falseNegative = true;
        else delete next.falseNegative;
        return next;
      });
      return { ...item, negatives, decidedAt: now };
    }
    case 'edit': {
      const settings = { ...item.provenance.settings };
      const next: SynthItem = { ...item, decidedAt: now };
      if (d.query !== undefined && d.query.trim() !== item.query) {
        if (!d.query.trim()) throw new Error(`item "${item.id}": the query cannot be empty`);
        settings.originalQuery ??= item.query;
        next.query = d.query.trim();
        next.edited = true;
      }
      if (d.positive !== undefined && d.positive.trim() !== item.positive) {
        if (!d.positive.trim()) throw new Error(`item "${item.id}": the positive cannot be empty`);
        settings.originalPositive ??= item.positive;
        next.positive = d.positive.trim();
        next.edited = true;
      }
      next.provenance = { ...item.provenance, settings };
      if (d.status) next.status = d.status;
      return next;
    }
  }
}

/** Stores a new set with its items (one transaction). Its counts are taken from the items. */
export async function createSynthSet(
  set: Omit<SynthSetRecord, 'counts'>,
  items: readonly SynthItem[],
  db?: StudioDB,
): Promise<SynthSetRecord> {
  db ??= await studioDb();
  const rec: SynthSetRecord = { ...set, counts: countItems(items) };
  const bytes = items.reduce((n, it) => n + 2 * (it.query.length + it.positive.length), 0);
  await writeTx(
    db,
    ['synthSets', 'synthItems'],
    `synthetic set ${set.name}`,
    async (tx) => {
      const store = tx.objectStore('synthItems');
      for (const it of items) {
        if (it.set !== set.id) throw new Error(`item "${it.id}" belongs to set "${it.set}", not "${set.id}"`);
        await store.put(it);
      }
      await tx.objectStore('synthSets').put(rec);
    },
    bytes,
  );
  return rec;
}

/** Sets, newest first. */
export async function listSynthSets(db?: StudioDB): Promise<SynthSetRecord[]> {
  db ??= await studioDb();
  return (await db.getAll('synthSets')).sort(
    (a, b) => b.createdAt.localeCompare(a.createdAt) || b.id.localeCompare(a.id),
  );
}

export async function getSynthSet(id: string, db?: StudioDB): Promise<SynthSetRecord> {
  db ??= await studioDb();
  const rec = await db.get('synthSets', id);
  if (!rec) throw new SynthSetNotFoundError(id);
  return rec;
}

/** A set's items in their stored order (by id), optionally only those of one status. */
export async function listSynthItems(
  set: string,
  status?: ReviewStatus,
  db?: StudioDB,
): Promise<SynthItem[]> {
  db ??= await studioDb();
  return status
    ? db.getAllFromIndex('synthItems', 'by-set-status', [set, status])
    : db.getAllFromIndex('synthItems', 'by-set', set);
}

/**
 * One page of a set's items (by id), optionally of one status: the index gives the keys, and only the
 * page's items are read (a page of a large set does not load the rest of it).
 */
export async function pageSynthItems(
  set: string,
  status: ReviewStatus | undefined,
  offset: number,
  limit: number,
  db?: StudioDB,
): Promise<SynthItem[]> {
  db ??= await studioDb();
  const store = db.transaction('synthItems').store;
  const keys = status
    ? await store.index('by-set-status').getAllKeys(IDBKeyRange.only([set, status]))
    : await store.index('by-set').getAllKeys(IDBKeyRange.only(set));
  const page = await Promise.all(keys.slice(offset, offset + limit).map((k) => store.get(k)));
  return page.filter((it): it is SynthItem => it !== undefined);
}

/**
 * Applies decisions to items of a set and moves the set's counts, in one transaction: either every
 * decision is stored with the counts that match, or none is. Returns the items after and the set.
 */
export async function decideSynthItems(
  set: string,
  decisions: readonly { item: string; decision: SynthDecision }[],
  db?: StudioDB,
): Promise<{ items: SynthItem[]; set: SynthSetRecord }> {
  db ??= await studioDb();
  const now = new Date().toISOString();
  return writeTx(db, ['synthSets', 'synthItems'], `review decisions in set ${set}`, async (tx) => {
    const sets = tx.objectStore('synthSets');
    const store = tx.objectStore('synthItems');
    const rec = await sets.get(set);
    if (!rec) throw new SynthSetNotFoundError(set);
    const counts = { ...rec.counts };
    const out: SynthItem[] = [];
    for (const { item, decision } of decisions) {
      const before = await store.get([set, item]);
      if (!before) throw new SynthItemNotFoundError(set, item);
      const after = applyDecision(before, decision, now);
      counts[before.status]--;
      counts[after.status]++;
      await store.put(after);
      out.push(after);
    }
    const next = { ...rec, counts };
    await sets.put(next);
    return { items: out, set: next };
  });
}

/** Deletes a set and all its items (one transaction). */
export async function deleteSynthSet(id: string, db?: StudioDB): Promise<void> {
  db ??= await studioDb();
  await writeTx(db, ['synthSets', 'synthItems'], `deletion of synthetic set ${id}`, async (tx) => {
    const store = tx.objectStore('synthItems');
    let cursor = await store.index('by-set').openKeyCursor(IDBKeyRange.only(id));
    while (cursor) {
      await store.delete(cursor.primaryKey);
      cursor = await cursor.continue();
    }
    await tx.objectStore('synthSets').delete(id);
  });
}
