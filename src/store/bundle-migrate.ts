/**
 * Brings the records of a bundle written at an older schema version to the current one, step by step,
 * the way db.ts's MIGRATIONS bring a stored database: step i (RECORD_STEPS[i]) takes records from version
 * i to i+1. Steps that only add stores change no records; a step that rewrites records in the DB upgrade
 * rewrites them here with the same function.
 */
import { completeDatasetMeta, DB_VERSION } from './db';
import type { BundleEntry } from './bundle-codec';
import { BundleError } from './bundle-error';

/** store name -> its records */
export type BundleRecords = Map<string, BundleEntry[]>;

interface RecordStep {
  /** the stores this version creates (a bundle of this version or later may have a part for each) */
  adds: string[];
  /** rewrites records of older stores as the DB upgrade does */
  records?: (r: BundleRecords) => void;
}

/** One step per schema version (index i: version i → i+1), in the order of db.ts's MIGRATIONS. */
export const RECORD_STEPS: readonly RecordStep[] = [
  { adds: ['datasets', 'datasetChunks', 'settings'] },
  { adds: ['embeddings'] },
  { adds: ['runs', 'runHits'] },
  {
    adds: [],
    records: (r) => {
      const ds = r.get('datasets');
      if (ds)
        r.set(
          'datasets',
          ds.map((e) => ({ ...e, value: completeDatasetMeta(e.value) })),
        );
    },
  },
  { adds: ['models', 'modelFiles'] },
  { adds: ['trainRuns', 'trainData', 'trainCheckpoints', 'experts', 'expertWeights'] },
  { adds: ['synthSets', 'synthItems'] },
];

/** The object stores of schema version `v`. */
export function storesAt(v: number): string[] {
  return RECORD_STEPS.slice(0, v).flatMap((s) => s.adds);
}

/**
 * Migrates a bundle's records (read at schema `from`) to DB_VERSION in place. A part for a store the
 * bundle's version did not have is refused.
 */
export function migrateRecords(records: BundleRecords, from: number): BundleRecords {
  if (RECORD_STEPS.length !== DB_VERSION)
    throw new Error(
      `bundle-migrate has ${RECORD_STEPS.length} record steps for ${DB_VERSION} schema versions: add the step of the new version`,
    );
  const known = new Set(storesAt(from));
  for (const name of records.keys())
    if (!known.has(name)) throw new BundleError(name, `schema version ${from} has no such store`);
  for (let v = from; v < DB_VERSION; v++) RECORD_STEPS[v].records?.(records);
  return records;
}
