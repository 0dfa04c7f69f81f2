import 'fake-indexeddb/auto';
import { afterEach, describe, expect, it } from 'vitest';
import { importBundle } from './bundle-apply';
import { exportBundle } from './bundle-export';
import { openStudioDb, type StudioDB } from './db';
import { MODEL_CHUNK_BYTES, readModelFiles, saveModelRecord } from './models';

let n = 0;
const dbs: StudioDB[] = [];
async function freshDb(): Promise<StudioDB> {
  const db = await openStudioDb(`models-test-${++n}-${Date.now()}`);
  dbs.push(db);
  return db;
}
afterEach(() => {
  for (const d of dbs.splice(0)) d.close();
});

/** bytes that differ at every offset mod 251, so a misplaced chunk shows */
function pattern(len: number): Uint8Array<ArrayBuffer> {
  const a = new Uint8Array(len);
  for (let i = 0; i < len; i++) a[i] = (i * 7 + (i >>> 13)) % 251;
  return a;
}
/** where two byte strings first differ (-1: equal); a mismatch of megabytes is not printed whole */
async function firstDiff(b: Blob, want: Uint8Array): Promise<number> {
  const got = new Uint8Array(await b.arrayBuffer());
  if (got.length !== want.length) return Math.min(got.length, want.length);
  for (let i = 0; i < got.length; i++) if (got[i] !== want[i]) return i;
  return -1;
}
const rec = (id: string) => ({
  id,
  name: id,
  source: 'folder' as const,
  origin: id,
  engine: 'native' as const,
  kind: 'transformer' as const,
  dim: 8,
  importedAt: '2026-12-03T00:00:00.000Z',
  description: '',
  details: {} as never,
  defaults: { query: '{text}', passage: '{text}', instruction: null },
});

describe('imported model files in IndexedDB', () => {
  it('stores a picked file as Blob chunks and reads it back as one Blob, byte for byte', async () => {
    const db = await freshDb();
    const weights = pattern(MODEL_CHUNK_BYTES * 2 + 1234);
    const files = new Map<string, Blob>([
      ['model.safetensors', new Blob([weights])],
      ['config.json', new Blob(['{"model_type":"bert"}'])],
    ]);
    const saved = await saveModelRecord(rec('m'), files, db);
    expect(saved.files).toEqual([
      { path: 'model.safetensors', bytes: weights.length, chunks: 3 },
      { path: 'config.json', bytes: 21, chunks: 1 },
    ]);
    // what is stored are Blobs (disk-backed in a browser), not copies of the bytes in JS memory
    const chunks = await db.getAll('modelFiles');
    expect(chunks).toHaveLength(4);
    for (const c of chunks) expect(c.data).toBeInstanceOf(Blob);
    const back = await readModelFiles('m', db);
    expect(back.get('model.safetensors')).toBeInstanceOf(Blob);
    expect(await firstDiff(back.get('model.safetensors')!, weights)).toBe(-1);
    expect(await back.get('config.json')!.text()).toBe('{"model_type":"bert"}');
  });

  it('reads chunks stored as ArrayBuffers by earlier versions, and names a file with a missing chunk', async () => {
    const db = await freshDb();
    const weights = pattern(MODEL_CHUNK_BYTES + 99);
    await saveModelRecord(rec('old'), new Map([['model.safetensors', new Blob([weights])]]), db);
    for (const c of await db.getAll('modelFiles'))
      await db.put('modelFiles', { ...c, data: await (c.data as Blob).arrayBuffer() });
    expect(await firstDiff((await readModelFiles('old', db)).get('model.safetensors')!, weights)).toBe(-1);
    await db.delete('modelFiles', ['old', 'model.safetensors', 1]);
    await expect(readModelFiles('old', db)).rejects.toMatchObject({
      message: 'old/model.safetensors: chunk 1 of 2 is missing from storage; import the model again',
      file: 'old/model.safetensors',
    });
  });

  it('a studio bundle carries the Blob-stored files, and they come back byte for byte', async () => {
    const src = await freshDb();
    const weights = pattern(MODEL_CHUNK_BYTES + 5);
    await saveModelRecord(rec('b'), new Map([['model.safetensors', new Blob([weights])]]), src);
    const { blob } = await exportBundle(src);
    const dst = await freshDb();
    await importBundle(dst, new Uint8Array(await blob.arrayBuffer()));
    expect(await firstDiff((await readModelFiles('b', dst)).get('model.safetensors')!, weights)).toBe(-1);
  });
});
