/**
 * Per-model choices the user made (instruction templates, weight format), each kept in the `settings`
 * store as one object under its own key, model id → value. A model without an entry uses its own default.
 */
import { studioDb, writeTx, type StudioDB } from './db';

export async function loadModelSettings<T>(key: string, db?: StudioDB): Promise<Record<string, T>> {
  db ??= await studioDb();
  const v = await db.get('settings', key);
  return typeof v === 'object' && v !== null ? (v as Record<string, T>) : {};
}

/** Stores (or with null, removes) one model's value under `key`. */
export async function saveModelSetting<T>(
  key: string,
  model: string,
  value: T | null,
  db?: StudioDB,
): Promise<void> {
  db ??= await studioDb();
  await writeTx(db, ['settings'], `${key} of ${model}`, async (tx) => {
    const store = tx.objectStore('settings');
    const all = { ...((await store.get(key)) as Record<string, T> | undefined) };
    if (value !== null) all[model] = value;
    else delete all[model];
    await store.put(all, key);
  });
}
