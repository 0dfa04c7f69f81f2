/**
 * The studio's IndexedDB database: schema, versioned migrations, and the typed errors of storage.
 * Every write that must be all-or-nothing goes through `writeTx`, which runs in one transaction and
 * turns a quota failure into a `StorageQuotaError` (the transaction is aborted, so nothing changes).
 */
import { openDB, type DBSchema, type IDBPDatabase, type IDBPTransaction, type StoreNames } from 'idb';
import type { DatasetGroup } from '../data/group';
import type { EvalReport, Hit } from '../eval/types';
import type { ModelDetails } from '../models/describe';
import type { ModelTemplates } from '../models/types';
import type { ExpertRecord } from '../experts/record';
import type { TrainCheckpoint, TrainingPair } from '../train/types';
import type { TrainRunRecord } from './training-types';
import type { SynthItem } from '../synth/types';
import type { SynthSetRecord } from './synth-types';

export type { TrainRunRecord } from './training-types';

export const DB_NAME = 'stm-studio';

/** What a stored dataset looks like without its contents. */
export interface DatasetMeta {
  name: string;
  description: string;
  importedAt: string;
  counts: { docs: number; queries: number };
  /** split name -> judged queries and judgments in qrels/<split>.tsv */
  splits: Record<string, { queries: number; judgments: number }>;
  /** number of chunks of each part, to reload without scanning */
  chunks: { docs: number; queries: number; qrels: number };
  /** FNV-1a over ids and texts: a re-import with other contents invalidates embeddings and runs */
  fingerprint: string;
  /** the dashboard's group; absent in records stored before it was kept: groupOf() guesses it */
  group?: DatasetGroup;
}

export type ChunkPart = 'docs' | 'queries' | 'qrels';
/** docs: [id, title, text]; queries: [id, text]; qrels: [split, qid, docid, grade] */
export type ChunkRow = string[] | [string, string, string, number];
export interface DatasetChunk {
  dataset: string;
  part: ChunkPart;
  index: number;
  rows: ChunkRow[];
}

export interface EmbeddingRecord {
  key: string;
  model: string;
  dataset: string;
  data: Float32Array;
}

export interface RunRecord {
  id: string;
  dataset: string;
  split: string;
  retriever: string;
  backend: EvalReport['backend'];
  createdAt: string;
  report: EvalReport;
}
/** Ranked hits kept for drill-down (best first), stored apart so listing runs stays light. */
export interface RunHitsRecord {
  id: string;
  dataset: string;
  /** qid -> best-first hits, cut to `kept` */
  hits: Record<string, Hit[]>;
  kept: number;
}

/** An imported model (its files, when they came from a folder, are in `modelFiles`). */
export interface ModelRecord {
  id: string;
  name: string;
  /** 'folder': files in IndexedDB; 'hub': a hub id or URL whose files the Cache API keeps */
  source: 'folder' | 'hub';
  /** the folder name, hub id or URL */
  origin: string;
  /** native: the studio kernels on safetensors; onnx: onnxruntime-web on onnx/model.onnx */
  engine: 'native' | 'onnx';
  kind: 'transformer' | 'onnx';
  dim: number;
  /** path (relative to the model's root) and size of every stored or downloaded file */
  files: { path: string; bytes: number; chunks: number }[];
  bytes: number;
  importedAt: string;
  description: string;
  /** architecture, read when the model was imported */
  details: ModelDetails;
  /** the model's own templates (what Reset goes back to) */
  defaults: ModelTemplates;
}
/** One slice of a stored model file (large files are split so no single record is huge). */
export interface ModelFileChunk {
  model: string;
  path: string;
  index: number;
  /** a Blob (disk-backed: the picked file's slice) since folder imports stream; ArrayBuffer in older stores */
  data: Blob | ArrayBuffer;
}

export interface StudioSchema extends DBSchema {
  datasets: { key: string; value: DatasetMeta; indexes: { 'by-importedAt': string } };
  datasetChunks: { key: [string, ChunkPart, number]; value: DatasetChunk; indexes: { 'by-dataset': string } };
  settings: { key: string; value: unknown };
  embeddings: { key: string; value: EmbeddingRecord; indexes: { 'by-dataset': string; 'by-model': string } };
  runs: { key: string; value: RunRecord; indexes: { 'by-dataset': string; 'by-createdAt': string } };
  runHits: { key: string; value: RunHitsRecord; indexes: { 'by-dataset': string } };
  models: { key: string; value: ModelRecord };
  modelFiles: { key: [string, string, number]; value: ModelFileChunk; indexes: { 'by-model': string } };
  trainRuns: { key: string; value: TrainRunRecord; indexes: { 'by-createdAt': string } };
  /** the run's training pairs (negatives included), fixed when it starts so a resume sees the same data */
  trainData: { key: string; value: { runId: string; pairs: TrainingPair[] } };
  /** the latest checkpoint of each run */
  trainCheckpoints: { key: string; value: TrainCheckpoint };
  experts: { key: string; value: ExpertRecord };
  expertWeights: { key: string; value: { id: string; weights: ExpertWeight[] } };
  /** synthetic sets (provenance, settings, review counts); their items apart */
  synthSets: { key: string; value: SynthSetRecord; indexes: { 'by-createdAt': string } };
  synthItems: {
    key: [string, string];
    value: SynthItem;
    indexes: { 'by-set': string; 'by-set-status': [string, string] };
  };
}
/** One trained tensor of an expert (PEFT names for LoRA). */
export interface ExpertWeight {
  name: string;
  shape: number[];
  data: Float32Array;
}
export type StudioDB = IDBPDatabase<StudioSchema>;
type UpgradeTx = IDBPTransaction<StudioSchema, StoreNames<StudioSchema>[], 'versionchange'>;

/** A dataset record of schema v1..v3 completed as v4 has it (the v4 upgrade, and older project bundles). */
export function completeDatasetMeta(old: unknown): DatasetMeta {
  const v = old as Partial<DatasetMeta> & { name: string };
  return {
    name: v.name,
    description: v.description ?? '',
    importedAt: v.importedAt ?? new Date(0).toISOString(),
    counts: v.counts ?? { docs: 0, queries: 0 },
    splits: v.splits ?? {},
    chunks: v.chunks ?? { docs: 0, queries: 0, qrels: 0 },
    fingerprint: v.fingerprint ?? '',
  };
}

/**
 * Ordered upgrade steps: step i takes the database from version i to version i+1.
 * Never edit a released step; append a new one (and its record step in bundle-migrate.ts, which brings
 * the records of an older project bundle to the new version the same way).
 */
export const MIGRATIONS: ReadonlyArray<(db: StudioDB, tx: UpgradeTx) => Promise<void> | void> = [
  // v1: datasets (meta) with their contents in chunks, and settings.
  (db) => {
    db.createObjectStore('datasets', { keyPath: 'name' });
    const chunks = db.createObjectStore('datasetChunks', { keyPath: ['dataset', 'part', 'index'] });
    chunks.createIndex('by-dataset', 'dataset');
    db.createObjectStore('settings');
  },
  // v2: embedding cache, deletable per model or dataset.
  (db) => {
    const emb = db.createObjectStore('embeddings', { keyPath: 'key' });
    emb.createIndex('by-dataset', 'dataset');
    emb.createIndex('by-model', 'model');
  },
  // v3: evaluation runs, and their ranked hits apart.
  (db) => {
    const runs = db.createObjectStore('runs', { keyPath: 'id' });
    runs.createIndex('by-dataset', 'dataset');
    runs.createIndex('by-createdAt', 'createdAt');
    const hits = db.createObjectStore('runHits', { keyPath: 'id' });
    hits.createIndex('by-dataset', 'dataset');
  },
  // v4: datasets listed by import time; v1..v3 records may lack importedAt/description/fingerprint.
  async (_db, tx) => {
    const store = tx.objectStore('datasets');
    store.createIndex('by-importedAt', 'importedAt');
    let cursor = await store.openCursor();
    while (cursor) {
      await cursor.update(completeDatasetMeta(cursor.value));
      cursor = await cursor.continue();
    }
  },
  // v5: imported models, and the files of folder imports in chunks.
  (db) => {
    db.createObjectStore('models', { keyPath: 'id' });
    const files = db.createObjectStore('modelFiles', { keyPath: ['model', 'path', 'index'] });
    files.createIndex('by-model', 'model');
  },
  // v6: training runs (meta, data, latest checkpoint) and experts (recipe, weights apart).
  (db) => {
    const runs = db.createObjectStore('trainRuns', { keyPath: 'id' });
    runs.createIndex('by-createdAt', 'createdAt');
    db.createObjectStore('trainData', { keyPath: 'runId' });
    db.createObjectStore('trainCheckpoints', { keyPath: 'runId' });
    db.createObjectStore('experts', { keyPath: 'id' });
    db.createObjectStore('expertWeights', { keyPath: 'id' });
  },
  // v7: synthetic sets (Synthesize) and their items, listed per set and per set and review status.
  (db) => {
    const sets = db.createObjectStore('synthSets', { keyPath: 'id' });
    sets.createIndex('by-createdAt', 'createdAt');
    const items = db.createObjectStore('synthItems', { keyPath: ['set', 'id'] });
    items.createIndex('by-set', 'set');
    items.createIndex('by-set-status', ['set', 'status']);
  },
];
export const DB_VERSION = MIGRATIONS.length;

/**
 * This page's schema is older than the stored database: another tab (a newer build of the studio)
 * upgraded it. Only a reload gets the code that reads the new schema.
 */
export class StorageVersionError extends Error {
  constructor(name: string, mine: number) {
    super(
      `The studio's storage (${name}) was upgraded by a newer version of the studio open in another tab; this page reads schema version ${mine} only. Reload this page to continue (nothing stored was lost).`,
    );
    this.name = 'StorageVersionError';
  }
}

/** How an open connection ended: another tab needs a new version (or deletes the database), or the browser closed it. */
export type ConnectionLoss = 'versionchange' | 'terminated';

/**
 * Opens (and upgrades) the database; `version` below the latest is for migration tests.
 * `onLost` hears when the connection was closed from outside: on `versionchange` (another tab upgrades
 * or deletes the database) this connection closes itself so the other tab is not blocked.
 */
export async function openStudioDb(
  name = DB_NAME,
  version = DB_VERSION,
  onLost?: (why: ConnectionLoss) => void,
): Promise<StudioDB> {
  if (version < 1 || version > MIGRATIONS.length) throw new RangeError(`no schema version ${version}`);
  let failed: unknown = null;
  const opening = openDB<StudioSchema>(name, version, {
    upgrade(db, oldVersion, newVersion, tx) {
      tx.done.catch(() => undefined); // a failed upgrade surfaces through openDB's rejection
      // steps run in order inside the one versionchange transaction; a failing step aborts all of them
      const run = async () => {
        for (let v = oldVersion; v < (newVersion ?? version); v++) await MIGRATIONS[v](db, tx);
      };
      run().catch((e: unknown) => {
        failed = e;
        try {
          tx.abort();
        } catch {
          // already aborted
        }
      });
    },
    blocked() {
      // an older tab still holds a connection; it closes on the versionchange it was sent
      console.warn(`${name}: upgrade waits for another open tab to close its connection`);
    },
    terminated() {
      onLost?.('terminated');
    },
  });
  const db = await opening.catch((e: unknown) => {
    if ((e as { name?: unknown } | null)?.name === 'VersionError')
      throw new StorageVersionError(name, version);
    throw failed ?? e;
  });
  db.onversionchange = () => {
    closedFromOutside.add(db);
    db.close();
    onLost?.('versionchange');
  };
  return db;
}

/** Connections closed by another tab's version change (a write on one gets StorageClosedError). */
const closedFromOutside = new WeakSet<object>();

/** A write on a connection that another tab's upgrade or deletion closed: nothing was written. */
export class StorageClosedError extends Error {
  constructor(what: string) {
    super(
      `Saving ${what} failed: another tab of the studio upgraded or deleted its storage and this connection was closed; nothing was written. Try again (the studio reopens its storage), or reload this page.`,
    );
    this.name = 'StorageClosedError';
  }
}

/**
 * A connection that reopens itself: after another tab's version change (or deletion) or a browser
 * termination closed it, the next call opens a fresh one (a newer schema than this page knows gives a
 * StorageVersionError asking for a reload). `onLost` hears each loss (the UI may say so).
 */
export function reconnectingDb(
  name = DB_NAME,
  version = DB_VERSION,
  onLost?: (why: ConnectionLoss) => void,
): { get(): Promise<StudioDB>; close(): Promise<void> } {
  let current: Promise<StudioDB> | null = null;
  const get = (): Promise<StudioDB> => {
    if (current) return current;
    const p: Promise<StudioDB> = openStudioDb(name, version, (why) => {
      if (current === p) current = null;
      onLost?.(why);
    });
    // a failed open is not kept: the next call tries again
    p.catch(() => {
      if (current === p) current = null;
    });
    current = p;
    return p;
  };
  const close = async () => {
    const p = current;
    current = null;
    if (p) (await p).close();
  };
  return { get, close };
}

const shared = reconnectingDb();
/** The app's one connection (per thread); reopened after another tab's upgrade closed it. */
export function studioDb(): Promise<StudioDB> {
  return shared.get();
}
/** Closes the shared connection (tests, or before deleting the database). */
export function closeStudioDb(): Promise<void> {
  return shared.close();
}

/** Storage is full: the write was rolled back and what was stored before is intact. */
export class StorageQuotaError extends Error {
  constructor(what: string, bytes: number | null) {
    const size = bytes === null ? '' : ` (~${(bytes / 1e6).toFixed(1)} MB)`;
    super(
      `Browser storage quota exceeded while saving ${what}${size}; nothing was changed. Free space by deleting datasets or runs.`,
    );
    this.name = 'StorageQuotaError';
  }
}

function isQuotaError(e: unknown): boolean {
  const name = (e as { name?: unknown } | null)?.name;
  return name === 'QuotaExceededError' || name === 'NS_ERROR_DOM_QUOTA_REACHED';
}

/**
 * Runs `body` in one readwrite transaction over `stores` and waits for the commit.
 * Any failure aborts the transaction; quota failures become StorageQuotaError.
 */
export async function writeTx<S extends StoreNames<StudioSchema>[], T>(
  db: StudioDB,
  stores: S,
  what: string,
  body: (tx: IDBPTransaction<StudioSchema, S, 'readwrite'>) => Promise<T>,
  bytes: number | null = null,
): Promise<T> {
  if (closedFromOutside.has(db)) throw new StorageClosedError(what);
  const tx = db.transaction(stores, 'readwrite');
  const done = tx.done;
  done.catch(() => undefined); // observed below; avoid an unhandled rejection when we abort
  try {
    const out = await body(tx);
    await done;
    return out;
  } catch (e) {
    try {
      tx.abort();
    } catch {
      // already finished or aborted
    }
    const cause = (e as { name?: string })?.name === 'AbortError' ? (tx.error ?? e) : e;
    if (isQuotaError(cause) || isQuotaError(e)) throw new StorageQuotaError(what, bytes);
    throw cause;
  }
}
