import 'fake-indexeddb/auto';
import { afterEach, describe, expect, it } from 'vitest';
import type { Dataset } from '../data/types';
import { openStudioDb, type StudioDB } from './db';
import { groupOf } from '../data/group';
import { DatasetNotFoundError, getDatasetMeta, saveDataset, setDatasetGroup } from './datasets';

const dbs: StudioDB[] = [];
afterEach(() => {
  for (const d of dbs.splice(0)) d.close();
});
async function freshDb(): Promise<StudioDB> {
  const db = await openStudioDb(`group-test-${dbs.length}-${Date.now()}`);
  dbs.push(db);
  return db;
}
const tiny = (name: string, description = ''): Dataset => ({
  name,
  description,
  docs: [{ id: 'd1', title: '', text: 'lens of the eye' }],
  queries: [{ id: 'q1', text: 'eye lens' }],
  qrels: { test: new Map([['q1', new Map([['d1', 1]])]]) },
});

describe('dataset groups', () => {
  it('are guessed on import, kept when the same contents are saved again, and changeable', async () => {
    const db = await freshDb();
    expect((await saveDataset(tiny('medquad'), db)).group).toBe('medical');
    expect((await saveDataset(tiny('cran'), db)).group).toBe('general');
    const changed = await setDatasetGroup('cran', 'medical', db);
    expect(changed.group).toBe('medical');
    expect((await getDatasetMeta('cran', db))?.group).toBe('medical');
    // the same contents again keep the user's choice
    expect((await saveDataset(tiny('cran'), db)).group).toBe('medical');
    await expect(setDatasetGroup('nope', 'general', db)).rejects.toBeInstanceOf(DatasetNotFoundError);
  });

  it('fall back to the guess for records stored before groups were kept', () => {
    expect(groupOf({ name: 'nfcorpus', description: '' })).toBe('medical');
    expect(groupOf({ name: 'imported', description: 'MEDLINE abstracts' })).toBe('medical');
    expect(groupOf({ name: 'cran', description: '' })).toBe('general');
    expect(groupOf({ name: 'med', description: '', group: 'general' })).toBe('general');
  });
});
