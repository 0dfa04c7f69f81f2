/**
 * The service worker's logic (src/sw/sw.ts wires it to the worker's events). One cache per build,
 * `stm-studio-<build id>`, holds that build's shell, its hashed assets and the model files its code
 * has read; activating a build deletes the caches of every other build.
 *
 * Model files are content-addressed: the code asks for `models/<file>?v=<sha-256 prefix of the file>`
 * (src/models/versions.ts), so code and model file always belong to one build. A file that the network
 * answers with other bytes than its `v` (the site was updated under an open page) is refused with
 * HTTP 409 and a message to reload, never cached and never handed to code that expects other weights.
 *
 * A failed `cache.put` (quota, eviction) never fails a request the network answered: the response is
 * served and simply not kept for offline use.
 */

export const CACHE_PREFIX = 'stm-studio-';
export const cacheName = (build: string) => `${CACHE_PREFIX}${build}`;

/** static servers often send `Vary: Origin`; a cached file is the same whatever the request's Origin */
const MATCH: CacheQueryOptions = { ignoreVary: true };

export interface SwEnv {
  /** the site's base URL (the folder sw.js is served from) */
  base: string;
  build: string;
  caches: CacheStorage;
  fetch: (req: Request | string, init?: RequestInit) => Promise<Response>;
  /** where a cache failure is reported (console.warn in the worker) */
  warn?: (msg: string) => void;
}

export const sameOrigin = (env: SwEnv, url: string) => new URL(url).origin === new URL(env.base).origin;
const under = (env: SwEnv, url: string, dir: string) =>
  new URL(url).pathname.startsWith(new URL(dir, env.base).pathname);

/** The content version a model URL asks for (`?v=<hex>`), or null. */
export function modelVersion(env: SwEnv, url: string): string | null {
  if (!under(env, url, 'models/')) return null;
  return new URL(url).searchParams.get('v');
}

/** Content-addressed: the URL names its bytes (hashed assets/ files, model files with ?v=). */
export function immutable(env: SwEnv, url: string): boolean {
  return under(env, url, 'assets/') || modelVersion(env, url) !== null;
}

/**
 * Worth caching: a same-origin success that is not a static host's HTML fallback for a missing file
 * (a URL with a file extension other than .html answered with text/html).
 */
export function cacheable(url: string, res: Response): boolean {
  if (!res.ok || (res.type !== 'basic' && res.type !== 'default')) return false;
  const ext = /\.([a-z0-9]+)$/i.exec(new URL(url).pathname)?.[1]?.toLowerCase();
  return !ext || ext === 'html' || !(res.headers.get('content-type') ?? '').includes('text/html');
}

/** Keeps a response; false (with a warning) when the cache refuses it, e.g. over quota. */
export async function safePut(
  env: SwEnv,
  cache: Cache,
  key: Request | string,
  res: Response,
): Promise<boolean> {
  try {
    await cache.put(key, res);
    return true;
  } catch (e) {
    const url = typeof key === 'string' ? key : key.url;
    env.warn?.(
      `not kept for offline use: ${url} (${(e as Error)?.name ?? 'Error'}: ${(e as Error)?.message ?? e})`,
    );
    return false;
  }
}

async function sha256Hex(buf: ArrayBuffer): Promise<string> {
  const d = new Uint8Array(await crypto.subtle.digest('SHA-256', buf));
  return Array.from(d, (b) => b.toString(16).padStart(2, '0')).join('');
}

/** A 409 that says why: the page's code and the site's files are from two builds. */
function staleModel(url: string): Response {
  const path = new URL(url).pathname;
  const msg = `${path}: this file changed on the server since the page was loaded (a new build of STM Studio); reload the page`;
  return new Response(msg, {
    status: 409,
    statusText: 'Reload: the site was updated',
    headers: { 'content-type': 'text/plain' },
  });
}

/** The network's answer, kept in this build's cache when worth it; model files checked against their v. */
export async function fromNetwork(env: SwEnv, request: Request): Promise<Response> {
  const res = await env.fetch(request);
  const v = modelVersion(env, request.url);
  if (v !== null && res.ok) {
    const body = await res.arrayBuffer();
    if (!(await sha256Hex(body)).startsWith(v.toLowerCase())) return staleModel(request.url);
    const out = new Response(body, { status: res.status, statusText: res.statusText, headers: res.headers });
    if (cacheable(request.url, res))
      await safePut(env, await env.caches.open(cacheName(env.build)), request.url, out.clone());
    return out;
  }
  if (cacheable(request.url, res))
    await safePut(env, await env.caches.open(cacheName(env.build)), request, res.clone());
  return res;
}

/** Pages: the network first (a new build is picked up online), else this build's cached shell. */
export async function networkFirst(env: SwEnv, request: Request): Promise<Response> {
  try {
    return await fromNetwork(env, request);
  } catch (e) {
    const cache = await env.caches.open(cacheName(env.build));
    const hit =
      (await cache.match(request, { ignoreSearch: true, ignoreVary: true })) ??
      (await cache.match(new URL('./', env.base).href, MATCH)) ??
      (await cache.match(new URL('./index.html', env.base).href, MATCH));
    if (hit) return hit;
    throw e;
  }
}

/**
 * This build's cached copy when there is one, else the network. Files that are not content-addressed
 * (manifest, icon) are refreshed in the background.
 */
export async function cacheFirst(env: SwEnv, request: Request): Promise<Response> {
  const cache = await env.caches.open(cacheName(env.build));
  const hit = await cache.match(request, MATCH);
  if (!hit) return fromNetwork(env, request);
  if (!immutable(env, request.url)) fromNetwork(env, request).catch(() => undefined);
  return hit;
}

/**
 * Cross-origin isolation (SharedArrayBuffer: the CPU backend's gemm threads), the headers `vite preview`
 * and `_headers` send. A static host that cannot send them still gets an isolated page: the worker adds them
 * to every response it serves (the coi-serviceworker technique; src/ui/offline.ts reloads a page that the
 * worker did not serve yet, once). Responses are cached without them and get them on the way out, offline too.
 */
export const ISOLATION_HEADERS: Readonly<Record<string, string>> = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
};
const NULL_BODY = new Set([101, 103, 204, 205, 304]);

/** `res` with the isolation headers (those it lacks); opaque and error responses pass unchanged. */
export function withIsolation(res: Response): Response {
  if (res.status === 0 || res.type === 'opaque' || res.type === 'opaqueredirect' || res.type === 'error')
    return res;
  const missing = Object.entries(ISOLATION_HEADERS).filter(([k]) => !res.headers.has(k));
  if (missing.length === 0) return res;
  const headers = new Headers(res.headers);
  for (const [k, v] of missing) headers.set(k, v);
  return new Response(NULL_BODY.has(res.status) ? null : res.body, {
    status: res.status,
    statusText: res.statusText,
    headers,
  });
}

/** How the worker answers a request: undefined = not its business (the browser fetches it). */
export function route(env: SwEnv, request: Request): Promise<Response> | undefined {
  if (request.method !== 'GET' || !sameOrigin(env, request.url) || request.headers.has('range'))
    return undefined;
  if (request.mode === 'navigate') return networkFirst(env, request).then(withIsolation);
  return cacheFirst(env, request).then(withIsolation);
}

/**
 * Install: this build's `files` into its cache. Entries of older builds' caches that this build also has
 * (content-addressed: same URL, same bytes; `models` are its versioned model URLs, cached on first use)
 * are copied over, so an update does not download unchanged files again; nothing else is carried over.
 */
export async function precache(
  env: SwEnv,
  files: readonly string[],
  models: readonly string[] = [],
): Promise<void> {
  const cache = await env.caches.open(cacheName(env.build));
  const wanted = new Set([...files, ...models].map((f) => new URL(f, env.base).href));
  for (const key of await env.caches.keys()) {
    if (!key.startsWith(CACHE_PREFIX) || key === cacheName(env.build)) continue;
    const old = await env.caches.open(key);
    for (const req of await old.keys()) {
      if (!wanted.has(req.url) || !immutable(env, req.url) || (await cache.match(req, MATCH))) continue;
      const res = await old.match(req, MATCH);
      if (res) await safePut(env, cache, req.url, res);
    }
  }
  for (const f of files) {
    const url = new URL(f, env.base).href;
    if (immutable(env, url) && (await cache.match(url, MATCH))) continue;
    try {
      const res = await env.fetch(url, { cache: 'no-cache' });
      if (cacheable(url, res)) await safePut(env, cache, url, res);
    } catch {
      // offline during install: the file is cached when first used
    }
  }
}

/** Activate: every other build's cache goes (hub downloads, in `stm-hf-models`, are not ours to drop). */
export async function prune(env: SwEnv): Promise<string[]> {
  const dropped: string[] = [];
  for (const key of await env.caches.keys())
    if (key.startsWith(CACHE_PREFIX) && key !== cacheName(env.build)) {
      await env.caches.delete(key);
      dropped.push(key);
    }
  return dropped;
}

/** URLs the page loaded before the worker controlled it, kept when not cached yet. */
export async function cacheUrls(env: SwEnv, urls: readonly unknown[]): Promise<void> {
  const cache = await env.caches.open(cacheName(env.build));
  for (const url of urls) {
    if (typeof url !== 'string' || !sameOrigin(env, url) || (await cache.match(url, MATCH))) continue;
    try {
      await fromNetwork(env, new Request(url));
    } catch {
      // offline or missing: skip
    }
  }
}
