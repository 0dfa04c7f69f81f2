/**
 * Writes a verified bundle's records into the studio's database in ONE transaction (all or nothing).
 *
 * What happens to what is already stored: a bundle record replaces the stored record with the same key
 * (ids are random, so the same id is the same dataset/run/expert/model), together with the records that
 * belong to it (a dataset's chunks, a model's files, a synthetic set's items), so nothing stale is left;
 * everything else stored stays. Importing the same bundle twice therefore changes nothing the second time.
 * One exception asks first: a stored dataset with a bundle dataset's name but other contents (another
 * fingerprint) would lose its runs and cached embeddings, so the import is refused with a
 * BundleConflictError listing them unless `replace` (the user confirmed).
 */
import type { IDBPTransaction } from 'idb';
import { BundleConflictError } from './bundle-error';
import type { BundleManifest } from './bundle-format';
import type { BundleRecords } from './bundle-migrate';
import { keyOf, readBundle, type ReadBundle } from './bundle-read';
import { writeTx, type DatasetMeta, type StudioDB } from './db';

export interface BundleImportSummary {
  createdAt: string;
  appVersion: string;
  /** the schema version the bundle was written at (older ones went through the record migrations) */
  schemaVersion: number;
  /** per part: records written, and how many of them replaced a stored record with the same key */
  parts: { name: string; records: number; replaced: number }[];
  datasets: string[];
  /** stored datasets with other contents that were replaced (their runs and embeddings deleted) */
  replacedDatasets: string[];
  omitted: BundleManifest['omitted'];
}

type LooseTx = IDBPTransaction<unknown, string[], 'readwrite'>;

/** Deletes every record of `store` whose index `index` has `value`. */
async function deleteBy(tx: LooseTx, store: string, index: string, value: IDBValidKey): Promise<void> {
  const s = tx.objectStore(store);
  for (const k of await s.index(index).getAllKeys(value)) await s.delete(k);
}

async function clearOwned(tx: LooseTx, records: BundleRecords, replaced: Set<string>): Promise<void> {
  for (const e of records.get('datasets') ?? []) {
    const name = (e.value as DatasetMeta).name;
    await tx.objectStore('datasetChunks').delete(IDBKeyRange.bound([name], [name, []]));
    if (replaced.has(name))
      for (const s of ['embeddings', 'runs', 'runHits']) await deleteBy(tx, s, 'by-dataset', name);
  }
  for (const e of records.get('models') ?? [])
    await deleteBy(tx, 'modelFiles', 'by-model', (e.value as { id: string }).id);
  for (const e of records.get('synthSets') ?? [])
    await deleteBy(tx, 'synthItems', 'by-set', (e.value as { id: string }).id);
}

/** Bundles carry no API key: the one this studio remembers for its LLM server stays. */
function keepApiKey(incoming: unknown, stored: unknown): unknown {
  const key = (stored as { apiKey?: unknown } | undefined)?.apiKey;
  if (typeof key !== 'string' || !key || typeof incoming !== 'object' || incoming === null) return incoming;
  const v = incoming as { apiKey?: unknown };
  return v.apiKey ? incoming : { ...v, apiKey: key, rememberKey: true };
}

export async function applyBundle(
  db: StudioDB,
  bundle: ReadBundle,
  opts: { replace?: boolean } = {},
  onProgress?: (done: number, total: number, part: string) => void,
): Promise<BundleImportSummary> {
  const { manifest, records } = bundle;
  const stores = [...db.objectStoreNames];
  const total = [...records.values()].reduce((s, r) => s + r.length, 0);
  const bytes = manifest.parts.reduce((s, p) => s + p.bytes, 0);
  return writeTx(
    db,
    stores,
    'the project bundle',
    async (typed) => {
      const tx = typed as unknown as LooseTx;
      // datasets stored with other contents: refused (the transaction aborts) unless confirmed
      const changed: string[] = [];
      for (const e of records.get('datasets') ?? []) {
        const meta = e.value as DatasetMeta;
        const stored = (await tx.objectStore('datasets').get(meta.name)) as DatasetMeta | undefined;
        if (stored && stored.fingerprint !== meta.fingerprint) changed.push(meta.name);
      }
      if (changed.length && !opts.replace) throw new BundleConflictError(changed);
      const parts: BundleImportSummary['parts'] = [];
      for (const [name, entries] of records) {
        let replaced = 0;
        const s = tx.objectStore(name);
        for (const e of entries)
          if ((await s.count(e.key ?? (keyOf(name, e.value) as IDBValidKey))) > 0) replaced++;
        parts.push({ name, records: entries.length, replaced });
      }
      await clearOwned(tx, records, new Set(changed));
      let done = 0;
      for (const [name, entries] of records) {
        const s = tx.objectStore(name);
        for (const e of entries) {
          if (name === 'settings' && e.key === 'llmEndpoint')
            e.value = keepApiKey(e.value, await s.get(e.key));
          await (e.key === undefined ? s.put(e.value) : s.put(e.value, e.key));
          if (++done % 256 === 0) onProgress?.(done, total, name);
        }
      }
      onProgress?.(total, total, '');
      return {
        createdAt: manifest.createdAt,
        appVersion: manifest.appVersion,
        schemaVersion: manifest.schemaVersion,
        parts,
        datasets: (records.get('datasets') ?? []).map((e) => (e.value as DatasetMeta).name),
        replacedDatasets: changed,
        omitted: manifest.omitted,
      };
    },
    bytes,
  );
}

/** Verifies a whole bundle file (nothing is written if any part is damaged), then applies it. */
export async function importBundle(
  db: StudioDB,
  file: Uint8Array,
  opts: { replace?: boolean } = {},
  onProgress?: (phase: 'verify' | 'save', done: number, total: number, part: string) => void,
): Promise<BundleImportSummary> {
  const bundle = await readBundle(file, (d, t, p) => onProgress?.('verify', d, t, p));
  return applyBundle(db, bundle, opts, (d, t, p) => onProgress?.('save', d, t, p));
}
