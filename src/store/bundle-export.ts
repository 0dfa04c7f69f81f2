/**
 * Writes a project bundle: every object store of the studio's database (datasets and their chunks,
 * synthetic sets and reviews, models and their files, experts and weights, training runs, evaluation runs
 * and hits, settings) as one part each, read in one transaction so the bundle is a consistent snapshot.
 */
import { encodePart, type BundleEntry } from './bundle-codec';
import { APP_VERSION, writeContainer, type BundleManifest } from './bundle-format';
import type { StudioDB } from './db';

/** What a bundle leaves out, and why (written into its manifest). */
export const OMITTED = {
  embeddings: 'cached corpus embeddings are left out: they are recomputed on the first dense evaluation',
  apiKey: 'the LLM server API key (settings llmEndpoint.apiKey) is never exported',
  backendPref: "the compute backend preference belongs to this machine's hardware",
  hubFiles: 'files of hub models are not in IndexedDB (the Cache API keeps them): they are downloaded again',
};

/** settings of this machine, not of the project */
const LOCAL_SETTINGS = ['backendPref'];

/** A settings value with secrets removed. */
function scrubSetting(key: IDBValidKey, value: unknown): unknown {
  if (key === 'llmEndpoint' && value && typeof value === 'object' && 'apiKey' in value)
    return { ...(value as object), apiKey: '' };
  return value;
}

export async function exportBundle(
  db: StudioDB,
  onProgress?: (done: number, total: number, part: string) => void,
  now: Date = new Date(),
): Promise<{ blob: Blob; manifest: BundleManifest }> {
  const names = [...db.objectStoreNames].filter((n) => n !== 'embeddings');
  const tx = db.transaction(names, 'readonly');
  const read = await Promise.all(
    names.map(async (name) => {
      const store = tx.objectStore(name);
      const values: unknown[] = await store.getAll();
      const explicit = store.keyPath === null;
      const keys = explicit ? await store.getAllKeys() : [];
      const entries: BundleEntry[] = explicit
        ? values
            .map((v, i) => ({ key: keys[i], value: name === 'settings' ? scrubSetting(keys[i], v) : v }))
            .filter((e) => !(name === 'settings' && LOCAL_SETTINGS.includes(e.key as string)))
        : values.map((value) => ({ value }));
      return { name, entries, explicit };
    }),
  );
  await tx.done;
  // imported models' files are stored as Blobs: the bundle carries their bytes
  for (const r of read)
    if (r.name === 'modelFiles')
      for (const e of r.entries) {
        const c = e.value as { data: Blob | ArrayBuffer };
        if (c.data instanceof Blob) e.value = { ...c, data: await c.data.arrayBuffer() };
      }
  const parts = read.map(({ name, entries, explicit }, i) => {
    onProgress?.(i, read.length, name);
    return {
      name,
      records: entries.length,
      keys: explicit ? ('explicit' as const) : ('inline' as const),
      data: encodePart(name, entries, explicit),
    };
  });
  onProgress?.(read.length, read.length, '');
  const omitted = [
    { what: 'embeddings', why: OMITTED.embeddings },
    { what: 'settings backendPref', why: OMITTED.backendPref },
  ];
  const settings = read.find((r) => r.name === 'settings');
  if (settings?.entries.some((e) => e.key === 'llmEndpoint'))
    omitted.push({ what: 'settings llmEndpoint.apiKey', why: OMITTED.apiKey });
  const hub = read
    .find((r) => r.name === 'models')
    ?.entries.filter((e) => (e.value as { source?: string }).source === 'hub');
  for (const m of hub ?? [])
    omitted.push({ what: `files of model ${(m.value as { id: string }).id}`, why: OMITTED.hubFiles });
  return writeContainer(
    { schemaVersion: db.version, createdAt: now.toISOString(), appVersion: APP_VERSION, omitted },
    parts,
  );
}
