/*
 * STM Studio service worker: keeps the app usable offline from any static path.
 * - install: caches the shell (index.html, manifest, icon) and every built file index.html leads to
 *   (scripts, styles, the engine worker and their chunks, found by following the file names in them);
 * - the page also sends the URLs it has loaded ("cache-urls");
 * - fetch: pages network-first (a new build is picked up when online), hashed assets/ cache-first,
 *   anything else of this origin (model files) served from the cache and refreshed in the background.
 * Every URL is relative to this file's location, so the app works under any path.
 */
const CACHE = 'stm-studio-v1';
const BASE = new URL('./', self.location.href);
const SHELL = ['./', './index.html', './manifest.webmanifest', './icon.svg'].map((p) => new URL(p, BASE).href);
const MAX_CRAWL = 200;
/** static servers often send `Vary: Origin`; a cached file is the same whatever the request's Origin */
const MATCH = { ignoreVary: true };

const sameOrigin = (url) => new URL(url).origin === BASE.origin;
const isAsset = (url) => new URL(url).pathname.startsWith(new URL('assets/', BASE).pathname);

/**
 * Worth caching: a same-origin success that is not a static host's HTML fallback for a missing file
 * (a URL with a file extension other than .html answered with text/html).
 */
function cacheable(url, res) {
  if (!res.ok || res.type !== 'basic') return false;
  const path = new URL(url).pathname;
  const ext = /\.([a-z0-9]+)$/i.exec(path)?.[1]?.toLowerCase();
  return !ext || ext === 'html' || !(res.headers.get('content-type') || '').includes('text/html');
}

async function put(cache, url) {
  try {
    const res = await fetch(url, { cache: 'no-cache' });
    if (cacheable(url, res)) {
      await cache.put(url, res.clone());
      return res;
    }
  } catch {
    // offline or missing: skip
  }
  return null;
}

/** File names a text (HTML, JS, CSS) refers to, resolved against the file and against the base. */
function references(text, from) {
  const out = new Set();
  const re = /["'`(]((?:\.{0,2}\/)?(?:[\w.-]+\/)*[\w.-]+\.(?:js|mjs|css|wasm|json|webmanifest|svg|png|woff2?))(?=["'`)?#])/g;
  for (const m of text.matchAll(re)) {
    for (const base of [from, BASE.href]) {
      try {
        const u = new URL(m[1], base);
        if (sameOrigin(u.href)) out.add(u.href.split('#')[0]);
      } catch {
        // not a URL
      }
    }
  }
  return out;
}

async function precache() {
  const cache = await caches.open(CACHE);
  const seen = new Set();
  const queue = [...SHELL];
  while (queue.length && seen.size < MAX_CRAWL) {
    const url = queue.shift();
    if (seen.has(url)) continue;
    seen.add(url);
    const res = await put(cache, url);
    if (!res) continue;
    const type = res.headers.get('content-type') || '';
    if (/html|javascript|css/.test(type)) for (const ref of references(await res.text(), url)) if (!seen.has(ref)) queue.push(ref);
  }
}

self.addEventListener('install', (event) => {
  event.waitUntil(precache().then(() => self.skipWaiting()));
});

self.addEventListener('activate', (event) => {
  event.waitUntil(
    (async () => {
      for (const key of await caches.keys()) if (key !== CACHE && key.startsWith('stm-studio-')) await caches.delete(key);
      await self.clients.claim();
    })(),
  );
});

self.addEventListener('message', (event) => {
  const data = event.data;
  if (!data || data.type !== 'cache-urls' || !Array.isArray(data.urls)) return;
  event.waitUntil(
    (async () => {
      const cache = await caches.open(CACHE);
      for (const url of data.urls) if (typeof url === 'string' && sameOrigin(url) && !(await cache.match(url, MATCH))) await put(cache, url);
    })(),
  );
});

async function networkFirst(request) {
  const cache = await caches.open(CACHE);
  try {
    const res = await fetch(request);
    if (cacheable(request.url, res)) await cache.put(request, res.clone());
    return res;
  } catch (e) {
    const hit = (await cache.match(request, { ignoreSearch: true, ignoreVary: true })) || (await cache.match(SHELL[0], MATCH)) || (await cache.match(SHELL[1], MATCH));
    if (hit) return hit;
    throw e;
  }
}

/** The cached copy when there is one (refreshed in the background when `refresh`), else the network. */
async function cacheFirst(request, refresh) {
  const cache = await caches.open(CACHE);
  const hit = await cache.match(request, MATCH);
  const fromNetwork = () =>
    fetch(request).then(async (res) => {
      if (cacheable(request.url, res)) await cache.put(request, res.clone());
      return res;
    });
  if (!hit) return fromNetwork();
  if (refresh) fromNetwork().catch(() => undefined);
  return hit;
}

self.addEventListener('fetch', (event) => {
  const { request } = event;
  if (request.method !== 'GET' || !sameOrigin(request.url) || request.headers.has('range')) return;
  if (request.mode === 'navigate') event.respondWith(networkFirst(request));
  else if (isAsset(request.url)) event.respondWith(cacheFirst(request, false));
  else event.respondWith(cacheFirst(request, true));
});
