/** Test-only: a fake Hugging Face hub serving the tiny test models, with an in-memory download cache. */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { TINY_MODELS_DIR } from '../../scripts/make-tiny-models';
import type { HubOptions } from '../worker/features/models/manager';

/**
 * Serves test-assets/tiny-models/<name>/<file> for https://huggingface.co/test-org/<name>/resolve/main/<file>
 * (404 otherwise, and for the files in `missing`); `calls` lists the URLs fetched, `store` the cache.
 */
export function fakeHub(missing: readonly string[] = []) {
  const calls: string[] = [];
  const store = new Map<string, ArrayBuffer>();
  const hub: HubOptions = {
    fetch: (async (input: string | URL | Request) => {
      const url = String(input);
      calls.push(url);
      const m = /^https:\/\/huggingface\.co\/test-org\/([\w-]+)\/resolve\/main\/(.+)$/.exec(url);
      const path = m ? join(TINY_MODELS_DIR, m[1], m[2]) : '';
      if (!m || !existsSync(path) || missing.includes(m[2]))
        return new Response('Entry not found', { status: 404, statusText: 'Not Found' });
      const body = readFileSync(path);
      return new Response(body, { headers: { 'content-length': String(body.byteLength) } });
    }) as typeof fetch,
    cache: {
      match: async (u) => (store.has(u) ? new Response(store.get(u)) : undefined),
      put: async (u, r) => void store.set(u, await r.arrayBuffer()),
      delete: async (u) => store.delete(u),
    },
  };
  return { hub, calls, store };
}
