/**
 * Per-model instruction templates chosen by the user, kept in the `settings` store under one key.
 * A model without an entry uses its own templates.
 */
import type { ModelTemplates } from '../models/types';
import { studioDb, writeTx, type StudioDB } from './db';

const KEY = 'templates';

export async function loadTemplateOverrides(db?: StudioDB): Promise<Record<string, ModelTemplates>> {
  db ??= await studioDb();
  const v = await db.get('settings', KEY);
  return typeof v === 'object' && v !== null ? (v as Record<string, ModelTemplates>) : {};
}

/** Stores (or with null, removes) the templates of one model. */
export async function saveTemplateOverride(
  model: string,
  t: ModelTemplates | null,
  db?: StudioDB,
): Promise<void> {
  db ??= await studioDb();
  await writeTx(db, ['settings'], `templates of ${model}`, async (tx) => {
    const store = tx.objectStore('settings');
    const all = { ...((await store.get(KEY)) as Record<string, ModelTemplates> | undefined) };
    if (t) all[model] = { query: t.query, passage: t.passage, instruction: t.instruction };
    else delete all[model];
    await store.put(all, KEY);
  });
}
