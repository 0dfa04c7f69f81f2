/** Small persistent preferences (backend choice, last selections) in the `settings` store. */
import { studioDb, writeTx, type StudioDB } from './db';
import type { EndpointConfig } from '../synth/endpoint-config';

export interface Settings {
  backendPref: 'auto' | 'cpu' | 'webgpu';
  dataset: string | null;
  split: string | null;
  retriever: string;
  /** the model the Models panel shows (null: the default model) */
  activeModel: string | null;
  /** the Synthesize panel's LLM server (its API key only when the user asked to remember it) */
  llmEndpoint: EndpointConfig | null;
}
export const DEFAULT_SETTINGS: Settings = {
  backendPref: 'auto',
  dataset: null,
  split: null,
  retriever: 'bm25',
  activeModel: null,
  llmEndpoint: null,
};

export async function loadSettings(db?: StudioDB): Promise<Settings> {
  db ??= await studioDb();
  const out: Settings = { ...DEFAULT_SETTINGS };
  const tx = db.transaction('settings', 'readonly');
  for (const k of Object.keys(DEFAULT_SETTINGS) as (keyof Settings)[]) {
    const v = await tx.store.get(k);
    if (v !== undefined) (out as unknown as Record<string, unknown>)[k] = v;
  }
  if (!['auto', 'cpu', 'webgpu'].includes(out.backendPref)) out.backendPref = 'auto';
  return out;
}

export async function saveSettings(patch: Partial<Settings>, db?: StudioDB): Promise<void> {
  db ??= await studioDb();
  await writeTx(db, ['settings'], 'settings', async (tx) => {
    for (const [k, v] of Object.entries(patch)) await tx.objectStore('settings').put(v, k);
  });
}
