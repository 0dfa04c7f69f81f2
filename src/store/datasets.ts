/** Datasets in IndexedDB: metadata in `datasets`, contents in size-bounded chunks in `datasetChunks`. */
import type { IDBPTransaction } from 'idb';
import type { Dataset, Doc, Qrels, Query } from '../data/types';
import {
  studioDb,
  writeTx,
  type ChunkPart,
  type ChunkRow,
  type DatasetChunk,
  type DatasetMeta,
  type StudioDB,
  type StudioSchema,
} from './db';
import { guessGroup, type DatasetGroup } from '../data/group';
import { freeName } from './names';

/** A chunk closes after this many characters of text (keeps records well under a few MB). */
const CHUNK_CHARS = 1 << 19;
const CHUNK_ROWS = 2000;

export class DatasetNotFoundError extends Error {
  constructor(readonly dataset: string) {
    super(`No dataset named "${dataset}" is stored; import it or load the demo collection first.`);
    this.name = 'DatasetNotFoundError';
  }
}

/**
 * A save would replace a stored dataset of the same name with other contents, which deletes its runs and
 * cached embeddings: refused unless the caller confirmed it (`onExisting: 'replace'`).
 */
export class DatasetExistsError extends Error {
  constructor(
    readonly dataset: string,
    readonly runs: number,
  ) {
    const lost =
      runs === 0
        ? 'its cached embeddings will be deleted'
        : `its ${runs} evaluation run${runs === 1 ? '' : 's'} and cached embeddings will be deleted`;
    super(
      `A dataset named "${dataset}" is already stored with other contents. Importing under this name replaces dataset "${dataset}"; ${lost}. Confirm the replacement, or import under another name.`,
    );
    this.name = 'DatasetExistsError';
  }
}

/**
 * What a save does when a dataset of that name is stored with other contents (identical contents are
 * always saved in place: their runs and embeddings stay valid and are kept):
 * - 'refuse' (default): throw DatasetExistsError, nothing changes;
 * - 'rename': store under the first free name "<name> (2)", "<name> (3)", …;
 * - 'replace' (the user confirmed): replace it and delete its runs and cached embeddings.
 */
export type OnExisting = 'refuse' | 'rename' | 'replace';

function chunkRows(rows: ChunkRow[]): ChunkRow[][] {
  const out: ChunkRow[][] = [];
  let cur: ChunkRow[] = [];
  let chars = 0;
  for (const r of rows) {
    cur.push(r);
    for (const c of r) chars += typeof c === 'string' ? c.length : 8;
    if (chars >= CHUNK_CHARS || cur.length >= CHUNK_ROWS) {
      out.push(cur);
      cur = [];
      chars = 0;
    }
  }
  if (cur.length) out.push(cur);
  return out;
}

/** Two FNV-1a 32-bit hashes (different offsets) over every id, text and judgment: 16 hex digits. */
export function datasetFingerprint(rows: Iterable<ChunkRow>): string {
  let a = 0x811c9dc5;
  let b = 0x2b1e07a3;
  const mix = (s: string) => {
    for (let i = 0; i < s.length; i++) {
      const c = s.charCodeAt(i);
      a = Math.imul(a ^ c, 0x01000193) >>> 0;
      b = Math.imul(b ^ c, 0x01000193) >>> 0;
    }
    a = Math.imul(a ^ 0x1f, 0x01000193) >>> 0; // field separator
    b = Math.imul(b ^ 0x1e, 0x01000193) >>> 0;
  };
  for (const r of rows) for (const c of r) mix(String(c));
  return a.toString(16).padStart(8, '0') + b.toString(16).padStart(8, '0');
}

function toRows(ds: Dataset): Record<ChunkPart, ChunkRow[]> {
  const docs: ChunkRow[] = ds.docs.map((d) => [d.id, d.title, d.text]);
  const queries: ChunkRow[] = ds.queries.map((q) => [q.id, q.text]);
  const qrels: ChunkRow[] = [];
  for (const split of Object.keys(ds.qrels).sort())
    for (const [qid, rel] of ds.qrels[split])
      for (const [docid, grade] of rel) qrels.push([split, qid, docid, grade]);
  return { docs, queries, qrels };
}

function splitStats(ds: Dataset): DatasetMeta['splits'] {
  const out: DatasetMeta['splits'] = {};
  for (const [split, q] of Object.entries(ds.qrels)) {
    let judgments = 0;
    for (const rel of q.values()) judgments += rel.size;
    out[split] = { queries: q.size, judgments };
  }
  return out;
}

function datasetRange(name: string): IDBKeyRange {
  // keys are [dataset, part, index]; an array sorts after every string, so [name, []] closes the range
  return IDBKeyRange.bound([name], [name, []]);
}

type AllStores = ['datasets', 'datasetChunks', 'embeddings', 'runs', 'runHits'];
const ALL_STORES: AllStores = ['datasets', 'datasetChunks', 'embeddings', 'runs', 'runHits'];

/** Deletes every record of `dataset` from the embedding and run stores (inside the caller's transaction). */
async function deleteDerived(
  tx: IDBPTransaction<StudioSchema, AllStores, 'readwrite'>,
  dataset: string,
): Promise<void> {
  for (const s of ['embeddings', 'runs', 'runHits'] as const) {
    const store = tx.objectStore(s);
    for (const k of await store.index('by-dataset').getAllKeys(dataset)) await store.delete(k);
  }
}

/**
 * Stores a dataset in one transaction. A stored dataset of the same name with the same contents is
 * saved over (its runs and embeddings stay valid); one with other contents is handled by `onExisting`
 * (default: refuse, so runs are never deleted without the user's confirmation). Returns the stored
 * meta (its name may differ from `ds.name` with 'rename').
 */
export async function saveDataset(
  ds: Dataset,
  db?: StudioDB,
  opts: { onExisting?: OnExisting } = {},
): Promise<DatasetMeta> {
  if (!ds.name.trim()) throw new Error('A dataset needs a non-empty name.');
  const onExisting = opts.onExisting ?? 'refuse';
  db ??= await studioDb();
  const rows = toRows(ds);
  const chunks = {
    docs: chunkRows(rows.docs),
    queries: chunkRows(rows.queries),
    qrels: chunkRows(rows.qrels),
  };
  const fingerprint = datasetFingerprint([...rows.docs, ...rows.queries, ...rows.qrels]);
  const meta: DatasetMeta = {
    name: ds.name,
    description: ds.description ?? '',
    importedAt: new Date().toISOString(),
    counts: { docs: ds.docs.length, queries: ds.queries.length },
    splits: splitStats(ds),
    chunks: { docs: chunks.docs.length, queries: chunks.queries.length, qrels: chunks.qrels.length },
    fingerprint,
    group: guessGroup(ds.name, ds.description),
  };
  let bytes = 0;
  for (const part of Object.values(rows))
    for (const r of part) for (const c of r) bytes += typeof c === 'string' ? 2 * c.length : 8;
  await writeTx(
    db,
    ALL_STORES,
    `dataset "${ds.name}"`,
    async (tx) => {
      const metas = tx.objectStore('datasets');
      let old = await metas.get(meta.name);
      if (old && old.fingerprint !== fingerprint) {
        if (onExisting === 'rename') {
          const names = new Set(await metas.getAllKeys());
          meta.name = freeName(meta.name, (n) => names.has(n));
          old = undefined;
        } else if (onExisting === 'refuse') {
          const runs = await tx.objectStore('runs').index('by-dataset').count(meta.name);
          throw new DatasetExistsError(meta.name, runs);
        } else await deleteDerived(tx, meta.name);
      }
      // the same contents saved again keep the group the user chose
      if (old && old.fingerprint === fingerprint && old.group) meta.group = old.group;
      const store = tx.objectStore('datasetChunks');
      await store.delete(datasetRange(meta.name));
      // one request at a time: a request that throws leaves no other promise dangling
      await metas.put(meta);
      for (const part of ['docs', 'queries', 'qrels'] as const)
        for (const [index, rows] of chunks[part].entries())
          await store.put({ dataset: meta.name, part, index, rows });
    },
    bytes,
  );
  return meta;
}

/** Reads a stored dataset back into memory. */
export async function loadDataset(name: string, db?: StudioDB): Promise<Dataset> {
  db ??= await studioDb();
  const tx = db.transaction(['datasets', 'datasetChunks'], 'readonly');
  const meta = await tx.objectStore('datasets').get(name);
  if (!meta) throw new DatasetNotFoundError(name);
  const chunks: DatasetChunk[] = await tx.objectStore('datasetChunks').getAll(datasetRange(name));
  const byPart: Record<ChunkPart, DatasetChunk[]> = { docs: [], queries: [], qrels: [] };
  for (const c of chunks) byPart[c.part].push(c);
  for (const part of ['docs', 'queries', 'qrels'] as const) {
    if (byPart[part].length !== meta.chunks[part])
      throw new Error(
        `Dataset "${name}" is incomplete in storage (${part}: ${byPart[part].length}/${meta.chunks[part]} chunks); import it again.`,
      );
    byPart[part].sort((x, y) => x.index - y.index);
  }
  const docs: Doc[] = [];
  for (const c of byPart.docs)
    for (const r of c.rows) docs.push({ id: String(r[0]), title: String(r[1]), text: String(r[2]) });
  const queries: Query[] = [];
  for (const c of byPart.queries)
    for (const r of c.rows) queries.push({ id: String(r[0]), text: String(r[1]) });
  const qrels: Record<string, Qrels> = {};
  for (const split of Object.keys(meta.splits)) qrels[split] = new Map();
  for (const c of byPart.qrels)
    for (const r of c.rows) {
      const [split, qid, docid, grade] = r as [string, string, string, number];
      const q = (qrels[split] ??= new Map());
      let rel = q.get(qid);
      if (!rel) q.set(qid, (rel = new Map()));
      rel.set(docid, grade);
    }
  return { name, docs, queries, qrels, description: meta.description };
}

/** Every stored dataset's metadata, oldest import first. */
export async function listDatasets(db?: StudioDB): Promise<DatasetMeta[]> {
  db ??= await studioDb();
  return db.getAllFromIndex('datasets', 'by-importedAt');
}

export async function getDatasetMeta(name: string, db?: StudioDB): Promise<DatasetMeta | undefined> {
  db ??= await studioDb();
  return db.get('datasets', name);
}

/** Sets a stored dataset's dashboard group; its contents, runs and embeddings are untouched. */
export async function setDatasetGroup(
  name: string,
  group: DatasetGroup,
  db?: StudioDB,
): Promise<DatasetMeta> {
  db ??= await studioDb();
  return writeTx(db, ['datasets'], `group of "${name}"`, async (tx) => {
    const meta = await tx.objectStore('datasets').get(name);
    if (!meta) throw new DatasetNotFoundError(name);
    const out: DatasetMeta = { ...meta, group };
    await tx.objectStore('datasets').put(out);
    return out;
  });
}

/** Deletes a dataset with its cached embeddings and its runs, in one transaction. */
export async function deleteDataset(name: string, db?: StudioDB): Promise<void> {
  db ??= await studioDb();
  await writeTx(db, ALL_STORES, `deletion of "${name}"`, async (tx) => {
    await tx.objectStore('datasets').delete(name);
    await tx.objectStore('datasetChunks').delete(datasetRange(name));
    await deleteDerived(tx, name);
  });
}

/** A split name the dataset already has, refused unless replacing was confirmed. */
export class SplitExistsError extends Error {
  constructor(
    readonly dataset: string,
    readonly splits: string[],
    readonly runs: number,
  ) {
    super(
      `"${dataset}" already has ${splits.length === 1 ? 'a split' : 'splits'} ${splits.map((s) => `"${s}"`).join(', ')} (${runs} run${runs === 1 ? '' : 's'} on ${splits.length === 1 ? 'it' : 'them'}): choose other names, or confirm replacing (the runs on a replaced split are deleted). Nothing was changed.`,
    );
    this.name = 'SplitExistsError';
  }
}

/**
 * Adds qrels splits to a stored dataset in one transaction: its docs, queries and cached embeddings are
 * untouched, and so are the runs on its other splits. A name the dataset already has is refused
 * (SplitExistsError) unless `replace`; a replaced split's runs are deleted with it (their scores were on
 * the old judgements). Returns the new metadata and how many runs were deleted.
 */
export async function addSplits(
  name: string,
  splits: Readonly<Record<string, Qrels>>,
  opts: { replace?: boolean } = {},
  db?: StudioDB,
): Promise<{ meta: DatasetMeta; deletedRuns: number }> {
  db ??= await studioDb();
  const ds = await loadDataset(name, db);
  const clash = Object.keys(splits).filter((s) => s in ds.qrels);
  const runsOn = async (names: string[]) =>
    (await db.getAllFromIndex('runs', 'by-dataset', name)).filter((r) => names.includes(r.split));
  if (clash.length && !opts.replace) throw new SplitExistsError(name, clash, (await runsOn(clash)).length);
  const next: Dataset = { ...ds, qrels: { ...ds.qrels, ...splits } };
  const rows = toRows(next);
  const qrelsChunks = chunkRows(rows.qrels);
  const loaded = (await getDatasetMeta(name, db))!;
  const meta: DatasetMeta = {
    ...loaded,
    splits: splitStats(next),
    chunks: { ...loaded.chunks, qrels: qrelsChunks.length },
    fingerprint: datasetFingerprint([...rows.docs, ...rows.queries, ...rows.qrels]),
  };
  let deletedRuns = 0;
  await writeTx(
    db,
    ['datasets', 'datasetChunks', 'runs', 'runHits'],
    `new splits of "${name}"`,
    async (tx) => {
      const now = await tx.objectStore('datasets').get(name);
      if (!now || now.fingerprint !== loaded.fingerprint)
        throw new Error(`"${name}" changed while its splits were being made; try again`);
      const chunks = tx.objectStore('datasetChunks');
      await chunks.delete(IDBKeyRange.bound([name, 'qrels'], [name, 'qrels', []]));
      for (const [index, r] of qrelsChunks.entries())
        await chunks.put({ dataset: name, part: 'qrels', index, rows: r });
      await tx.objectStore('datasets').put(meta);
      for (const k of await tx.objectStore('runs').index('by-dataset').getAll(name))
        if (clash.includes(k.split)) {
          await tx.objectStore('runs').delete(k.id);
          await tx.objectStore('runHits').delete(k.id);
          deletedRuns++;
        }
    },
    rows.qrels.length * 40,
  );
  return { meta, deletedRuns };
}
