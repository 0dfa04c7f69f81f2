/**
 * Imported models in IndexedDB: one `models` record each and, for folder imports, the model's files in
 * `modelFiles` chunks of at most CHUNK_BYTES, stored as Blobs (slices of the picked files: the browser keeps
 * them on disk, so neither an import nor a load holds a whole file in JS memory). A save replaces a model of the same id in one
 * transaction (all or nothing); a delete also drops the model's cached corpus embeddings.
 */
import { studioDb, writeTx, type ModelRecord, type StudioDB } from './db';
import { deleteEmbeddings } from './embeddings';

export const MODEL_CHUNK_BYTES = 8 * 1024 * 1024;

export class ModelNotFoundError extends Error {
  constructor(id: string) {
    super(`no imported model "${id}"`);
    this.name = 'ModelNotFoundError';
  }
}

export async function listModelRecords(db?: StudioDB): Promise<ModelRecord[]> {
  db ??= await studioDb();
  const all = await db.getAll('models');
  return all.sort((a, b) => a.importedAt.localeCompare(b.importedAt) || a.id.localeCompare(b.id));
}

export async function getModelRecord(id: string, db?: StudioDB): Promise<ModelRecord> {
  db ??= await studioDb();
  const rec = await db.get('models', id);
  if (!rec) throw new ModelNotFoundError(id);
  return rec;
}

/**
 * Stores a model record with its files (path -> bytes; none for hub models). `rec.files` and
 * `rec.bytes` are filled from `files` when given.
 */
export async function saveModelRecord(
  rec: Omit<ModelRecord, 'files' | 'bytes'> & Partial<Pick<ModelRecord, 'files' | 'bytes'>>,
  files: ReadonlyMap<string, Blob> | null,
  db?: StudioDB,
): Promise<ModelRecord> {
  db ??= await studioDb();
  const list = files
    ? [...files].map(([path, b]) => ({
        path,
        bytes: b.size,
        chunks: Math.max(1, Math.ceil(b.size / MODEL_CHUNK_BYTES)),
      }))
    : (rec.files ?? []);
  const full: ModelRecord = {
    ...rec,
    files: list,
    bytes: rec.bytes ?? list.reduce((n, f) => n + f.bytes, 0),
  };
  const total = files ? full.bytes : 0;
  await writeTx(
    db,
    ['models', 'modelFiles'],
    `model ${rec.id}`,
    async (tx) => {
      const chunks = tx.objectStore('modelFiles');
      for (const key of await chunks.index('by-model').getAllKeys(rec.id)) await chunks.delete(key);
      for (const [path, b] of files ?? []) {
        const n = Math.max(1, Math.ceil(b.size / MODEL_CHUNK_BYTES));
        for (let i = 0; i < n; i++) {
          await chunks.put({
            model: rec.id,
            path,
            index: i,
            data: b.slice(i * MODEL_CHUNK_BYTES, (i + 1) * MODEL_CHUNK_BYTES),
          });
        }
      }
      await tx.objectStore('models').put(full);
    },
    total,
  );
  return full;
}

/**
 * The stored files of a folder import, path -> a Blob joined from its chunks (nothing is read: the loader
 * reads tensor by tensor); a missing or short chunk throws naming the file.
 */
export async function readModelFiles(id: string, db?: StudioDB): Promise<Map<string, Blob>> {
  db ??= await studioDb();
  const rec = await getModelRecord(id, db);
  const out = new Map<string, Blob>();
  const tx = db.transaction('modelFiles', 'readonly');
  for (const f of rec.files) {
    const parts: (Blob | ArrayBuffer)[] = [];
    let at = 0;
    for (let i = 0; i < f.chunks; i++) {
      const c = await tx.store.get([id, f.path, i]);
      if (!c)
        throw Object.assign(
          new Error(
            `${id}/${f.path}: chunk ${i} of ${f.chunks} is missing from storage; import the model again`,
          ),
          { file: `${id}/${f.path}` },
        );
      parts.push(c.data);
      at += c.data instanceof Blob ? c.data.size : c.data.byteLength;
    }
    if (at !== f.bytes)
      throw Object.assign(
        new Error(`${id}/${f.path}: stored ${at} bytes, expected ${f.bytes}; import the model again`),
        { file: `${id}/${f.path}` },
      );
    out.set(f.path, new Blob(parts));
  }
  await tx.done;
  return out;
}

/** Deletes a model, its stored files and its cached embeddings (runs are kept). */
export async function deleteModelRecord(id: string, db?: StudioDB): Promise<void> {
  db ??= await studioDb();
  await writeTx(db, ['models', 'modelFiles'], `deletion of model ${id}`, async (tx) => {
    const chunks = tx.objectStore('modelFiles');
    for (const key of await chunks.index('by-model').getAllKeys(id)) await chunks.delete(key);
    await tx.objectStore('models').delete(id);
  });
  await deleteEmbeddings({ model: id }, db);
}
