/**
 * Reads and verifies a project bundle without touching the database: the container (header, manifest,
 * every part's SHA-256), then each part's records (count, keys), then the migrations from the bundle's
 * schema version to this studio's. Any damage throws a BundleError naming the part.
 */
import { decodePart } from './bundle-codec';
import { BundleError } from './bundle-error';
import { parseContainer, type BundleManifest } from './bundle-format';
import { migrateRecords, storesAt, type BundleRecords } from './bundle-migrate';
import { DB_VERSION } from './db';

/** the stores whose keys are not in their records (bundle records carry the key) */
const EXPLICIT_KEYS = new Set(['settings']);
/** key paths of the stores with keys in their records */
export const KEY_PATHS: Record<string, string | string[]> = {
  datasets: 'name',
  datasetChunks: ['dataset', 'part', 'index'],
  embeddings: 'key',
  runs: 'id',
  runHits: 'id',
  models: 'id',
  modelFiles: ['model', 'path', 'index'],
  trainRuns: 'id',
  trainData: 'runId',
  trainCheckpoints: 'runId',
  experts: 'id',
  expertWeights: 'id',
  synthSets: 'id',
  synthItems: ['set', 'id'],
};

function validKey(k: unknown): boolean {
  if (typeof k === 'string') return true;
  if (typeof k === 'number') return !Number.isNaN(k);
  if (k instanceof Date) return !Number.isNaN(k.getTime());
  return Array.isArray(k) && k.every(validKey);
}

/** The key of a record of `store` (null when it has none). */
export function keyOf(store: string, value: unknown): IDBValidKey | null {
  const path = KEY_PATHS[store];
  if (!path || typeof value !== 'object' || value === null) return null;
  const v = value as Record<string, unknown>;
  const k = Array.isArray(path) ? path.map((p) => v[p]) : v[path];
  return validKey(k) ? (k as IDBValidKey) : null;
}

export interface ReadBundle {
  manifest: BundleManifest;
  /** store -> records, migrated to this studio's schema */
  records: BundleRecords;
}

export async function readBundle(
  file: Uint8Array,
  onProgress?: (done: number, total: number, part: string) => void,
): Promise<ReadBundle> {
  const { manifest, parts } = await parseContainer(file, DB_VERSION, onProgress);
  const stores = storesAt(manifest.schemaVersion);
  const listed = new Set(manifest.parts.map((p) => p.name));
  for (const p of manifest.parts)
    if (!stores.includes(p.name))
      throw new BundleError(p.name, `schema version ${manifest.schemaVersion} has no such store`);
  for (const s of stores)
    if (s !== 'embeddings' && !listed.has(s))
      throw new BundleError(
        s,
        `missing (a bundle of schema version ${manifest.schemaVersion} has this part)`,
      );
  const records: BundleRecords = new Map();
  for (const p of manifest.parts) {
    const explicit = EXPLICIT_KEYS.has(p.name);
    if ((p.keys === 'explicit') !== explicit)
      throw new BundleError(
        p.name,
        `keys are "${p.keys}", this store needs "${explicit ? 'explicit' : 'inline'}"`,
      );
    const entries = decodePart(p.name, parts.get(p.name) as Uint8Array, explicit);
    if (entries.length !== p.records)
      throw new BundleError(p.name, `holds ${entries.length} records, the manifest says ${p.records}`);
    entries.forEach((e, i) => {
      const ok = explicit ? validKey(e.key) : keyOf(p.name, e.value) !== null;
      if (!ok) throw new BundleError(p.name, `record ${i + 1} has no valid key`);
    });
    records.set(p.name, entries);
  }
  return { manifest, records: migrateRecords(records, manifest.schemaVersion) };
}
