/// <reference lib="webworker" />
/**
 * STM Studio's service worker (built by scripts/vite-site.ts into dist/sw.js as one classic script, with
 * this build's id and file list): the app works offline from any static path. Logic in ./core.ts.
 */
import { cacheUrls, precache, prune, route, type SwEnv } from './core';

declare const __STM_BUILD__: string;
declare const __STM_PRECACHE__: string[];
declare const __STM_MODELS__: string[];
declare const self: ServiceWorkerGlobalScope;

const env: SwEnv = {
  base: new URL('./', self.location.href).href,
  build: __STM_BUILD__,
  caches: self.caches,
  fetch: (req, init) => self.fetch(req, init),
  warn: (msg) => console.warn(`[sw ${__STM_BUILD__}] ${msg}`),
};

self.addEventListener('install', (event) => {
  event.waitUntil(precache(env, __STM_PRECACHE__, __STM_MODELS__).then(() => self.skipWaiting()));
});

self.addEventListener('activate', (event) => {
  event.waitUntil(prune(env).then(() => self.clients.claim()));
});

self.addEventListener('message', (event) => {
  const data = event.data as { type?: string; urls?: unknown } | null;
  if (data?.type === 'cache-urls' && Array.isArray(data.urls)) event.waitUntil(cacheUrls(env, data.urls));
});

self.addEventListener('fetch', (event) => {
  const res = route(env, event.request);
  if (res) event.respondWith(res);
});
