import 'fake-indexeddb/auto';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Dataset } from '../data/types';
import { loadBeirDir, sharedDatasetsDir } from '../data/node';
import { slice, snapshot } from '../testing/bundle-fixture';
import { importBundle } from './bundle-apply';
import { encodePart } from './bundle-codec';
import { BundleError } from './bundle-error';
import { exportBundle } from './bundle-export';
import { APP_VERSION, writeContainer } from './bundle-format';
import { RECORD_STEPS, storesAt } from './bundle-migrate';
import { KEY_PATHS } from './bundle-read';
import { DB_VERSION, MIGRATIONS, openStudioDb, type DatasetMeta, type StudioDB } from './db';
import { loadDataset, saveDataset } from './datasets';

let med: Dataset;
beforeAll(async () => {
  med = await loadBeirDir(join(sharedDatasetsDir(), 'med'), 'med');
});
let n = 0;
const dbs: StudioDB[] = [];
const name = () => `bundle-migrate-${++n}-${Date.now()}`;
async function open(db: string, version = DB_VERSION): Promise<StudioDB> {
  const d = await openStudioDb(db, version);
  dbs.push(d);
  return d;
}
afterEach(() => {
  for (const d of dbs.splice(0)) d.close();
});

/**
 * A database as schema v3 code left it: datasets without importedAt, description and fingerprint (v4
 * added them), their chunks, a run and a setting; written at version 3 with the current chunk layout.
 */
async function v3Database(db: string): Promise<StudioDB> {
  const tmp = await open(name());
  const meta = await saveDataset(slice(med, 'med', 200), tmp);
  const chunks = await tmp.getAll('datasetChunks');
  const run = await tmp.getAll('runs');
  const old = await open(db, 3);
  const legacy: Partial<DatasetMeta> = { ...meta };
  delete legacy.importedAt;
  delete legacy.description;
  delete legacy.fingerprint;
  await old.put('datasets', legacy as DatasetMeta);
  for (const c of chunks) await old.put('datasetChunks', c);
  for (const r of run) await old.put('runs', r);
  await old.put('runs', {
    id: 'run-old',
    dataset: 'med',
    split: 'test',
    retriever: 'bm25',
    createdAt: '2025-01-01',
  } as never);
  await old.put('settings', 'med', 'dataset');
  return old;
}

describe('bundles of older schema versions', () => {
  it('has a record step for every schema version, each adding the stores its upgrade creates', async () => {
    expect(RECORD_STEPS.length).toBe(MIGRATIONS.length);
    for (let v = 1; v <= DB_VERSION; v++) {
      const db = await open(name(), v);
      expect(storesAt(v).sort(), `version ${v}`).toEqual([...db.objectStoreNames].sort());
      // the key of every record is checked before anything is written: bundle-read knows every key path
      const tx = db.transaction([...db.objectStoreNames]);
      for (const s of db.objectStoreNames)
        expect(KEY_PATHS[s] ?? null, `key path of ${s}`).toEqual(tx.objectStore(s).keyPath);
    }
  });

  it('a version-3 bundle imports through the record migrations as the v3 database upgrades', async () => {
    const dbName = name();
    const old = await v3Database(dbName);
    const { blob, manifest } = await exportBundle(old);
    expect(manifest.schemaVersion).toBe(3);
    expect(manifest.parts.map((p) => p.name).sort()).toEqual([
      'datasetChunks',
      'datasets',
      'runHits',
      'runs',
      'settings',
    ]);
    old.close();

    const dst = await open(name());
    const summary = await importBundle(dst, new Uint8Array(await blob.arrayBuffer()));
    expect(summary.schemaVersion).toBe(3);
    const imported = (await dst.get('datasets', 'med')) as DatasetMeta;
    expect(imported).toMatchObject({
      importedAt: new Date(0).toISOString(),
      description: '',
      fingerprint: '',
    });
    // the same records the DB upgrade makes of the v3 database
    const upgraded = await open(dbName);
    expect(await snapshot(dst)).toEqual(await snapshot(upgraded));
    expect((await loadDataset('med', dst)).docs.length).toBe(200);
    expect(await dst.get('runs', 'run-old')).toBeTruthy();
  });

  it('refuses a part the bundle version did not have', async () => {
    const data = encodePart('models', [{ value: { id: 'm' } }], false);
    const parts = ['datasets', 'datasetChunks', 'runs', 'runHits'].map((p) => ({
      name: p,
      records: 0,
      keys: 'inline' as 'inline' | 'explicit',
      data: encodePart(p, [], false),
    }));
    parts.push({ name: 'settings', records: 0, keys: 'explicit', data: encodePart('settings', [], true) });
    parts.push({ name: 'models', records: 1, keys: 'inline', data });
    const meta = { schemaVersion: 3, createdAt: '', appVersion: APP_VERSION, omitted: [] };
    const file = new Uint8Array(await (await writeContainer(meta, parts)).blob.arrayBuffer());
    const dst = await open(name());
    const e = await importBundle(dst, file).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(BundleError);
    expect((e as Error).message).toMatch(/^bundle part models: schema version 3 has no such store/);
    expect(await dst.count('models')).toBe(0);
  });
});
