/**
 * Persistent storage: asks the browser not to evict the studio's datasets, models and experts under
 * storage pressure (`navigator.storage.persist()`), and says whether it agreed.
 */

/** What the studio needs of a StorageManager. */
export interface PersistApi {
  persisted?(): Promise<boolean>;
  persist?(): Promise<boolean>;
}

/**
 * true: the browser keeps the studio's storage until the user clears it; false: it may evict it when
 * space runs low; null: this browser cannot say (no StorageManager, or it failed).
 */
export async function requestPersistentStorage(
  api: PersistApi | undefined = globalThis.navigator?.storage,
): Promise<boolean | null> {
  if (!api?.persist) return null;
  try {
    if (await api.persisted?.()) return true;
    return await api.persist();
  } catch {
    return null;
  }
}
