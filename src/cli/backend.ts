/** The CLI's compute backend: selectBackend, and one stderr line saying which backend and why. */
import { selectBackend, type BackendPreference } from '../gpu/select';
import type { Backend } from '../core/backend';

export async function cliBackend(pref: BackendPreference, log: (msg: string) => void): Promise<Backend> {
  const c = await selectBackend(pref);
  const hint = c.skipped ? '; use --backend webgpu to force it' : '';
  log(`backend: ${c.backend.kind}, ${c.backend.label} — ${c.reason}${hint}`);
  return c.backend;
}
