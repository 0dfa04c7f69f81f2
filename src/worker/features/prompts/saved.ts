/**
 * Finished prompt searches, kept in the `settings` store under one key (a short list, newest first), so a
 * reload shows the last leaderboard and the winner's test score is asked for once.
 */
import { writeTx, type StudioDB } from '../../../store/db';
import type { PromptSearchRecord } from './protocol';

const KEY = 'promptSearches';
/** how many finished searches are kept (older ones drop off) */
export const KEEP_SEARCHES = 20;

export class PromptSearchNotFoundError extends Error {
  constructor(readonly search: string) {
    super(`No stored prompt search with id "${search}" (only the last ${KEEP_SEARCHES} are kept).`);
    this.name = 'PromptSearchNotFoundError';
  }
}

export async function listPromptSearches(db: StudioDB): Promise<PromptSearchRecord[]> {
  const v = await db.get('settings', KEY);
  return Array.isArray(v) ? (v as PromptSearchRecord[]) : [];
}

export async function getPromptSearch(id: string, db: StudioDB): Promise<PromptSearchRecord> {
  const rec = (await listPromptSearches(db)).find((r) => r.id === id);
  if (!rec) throw new PromptSearchNotFoundError(id);
  return rec;
}

/** Stores a search (a record with the same id is replaced; it goes to the front). */
export async function savePromptSearch(rec: PromptSearchRecord, db: StudioDB): Promise<void> {
  await writeTx(db, ['settings'], `prompt search ${rec.id}`, async (tx) => {
    const store = tx.objectStore('settings');
    const v = (await store.get(KEY)) as PromptSearchRecord[] | undefined;
    const rest = (Array.isArray(v) ? v : []).filter((r) => r.id !== rec.id);
    await store.put([rec, ...rest].slice(0, KEEP_SEARCHES), KEY);
  });
}

export function newSearchId(createdAt: string): string {
  const rnd = Math.floor(Math.random() * 0x100000000).toString(36);
  return `prompts-${Date.parse(createdAt).toString(36)}-${rnd}`;
}
