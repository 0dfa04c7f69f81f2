import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { MemoryCaches } from '../testing/memory-caches';
import { cacheName, ISOLATION_HEADERS, precache, prune, route, withIsolation, type SwEnv } from './core';

/** A static site over real HTTP whose files the tests change (a new deploy). */
const files = new Map<string, { body: Buffer; type: string }>();
let server: Server;
let base: string;
let hits: string[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    hits.push(req.url ?? '');
    const f = files.get(new URL(req.url ?? '/', 'http://x').pathname);
    if (!f) {
      res.writeHead(404, { 'content-type': 'text/html' }).end('<h1>not found</h1>');
      return;
    }
    res.writeHead(200, { 'content-type': f.type }).end(f.body);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/app/`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

const v16 = (b: Buffer) => createHash('sha256').update(b).digest('hex').slice(0, 16);
const MODEL_V1 = Buffer.from('weights of build one');
const MODEL_V2 = Buffer.from('weights of build two!');

function deploy(build: 1 | 2) {
  files.clear();
  files.set('/app/', { body: Buffer.from(`<html>build ${build}</html>`), type: 'text/html' });
  files.set('/app/index.html', { body: Buffer.from(`<html>build ${build}</html>`), type: 'text/html' });
  files.set(`/app/assets/index-b${build}.js`, {
    body: Buffer.from(`code ${build}`),
    type: 'text/javascript',
  });
  files.set('/app/models/m/vectors.bin', {
    body: build === 1 ? MODEL_V1 : MODEL_V2,
    type: 'application/octet-stream',
  });
}

function env(storage: MemoryCaches, build: string, warnings: string[] = []): SwEnv {
  return { base, build, caches: storage, fetch: (r, i) => fetch(r, i), warn: (m) => warnings.push(m) };
}
const get = (e: SwEnv, path: string, mode: RequestMode = 'cors') => {
  const r = route(e, new Request(new URL(path, base), { mode: mode === 'navigate' ? 'same-origin' : mode }));
  if (!r) throw new Error('not routed');
  return r;
};
const text = async (r: Promise<Response>) => (await r).text();

beforeEach(() => {
  hits = [];
});

describe('service worker: one cache per build', () => {
  it('names its cache after the build, and activation prunes every other build (not hub downloads)', async () => {
    deploy(1);
    const storage = new MemoryCaches();
    await storage.open('stm-hf-models');
    const one = env(storage, 'b1');
    await precache(one, ['./', 'assets/index-b1.js']);
    expect(await storage.keys()).toEqual(['stm-hf-models', 'stm-studio-b1']);
    deploy(2);
    const two = env(storage, 'b2');
    await precache(two, ['./', 'assets/index-b2.js']);
    expect(await prune(two)).toEqual(['stm-studio-b1']);
    expect((await storage.keys()).sort()).toEqual(['stm-hf-models', 'stm-studio-b2']);
    expect(await (await storage.open(cacheName('b2'))).match(new URL('./', base).href)).toBeDefined();
  });

  it('serves a model file only with the code of its build: a file changed under an open page is refused with 409', async () => {
    deploy(1);
    const storage = new MemoryCaches();
    const one = env(storage, 'b1');
    const url1 = `models/m/vectors.bin?v=${v16(MODEL_V1)}`;
    expect(await text(get(one, url1))).toBe(MODEL_V1.toString());
    // cached: served again offline-fast without the network
    hits = [];
    expect(await text(get(one, url1))).toBe(MODEL_V1.toString());
    expect(hits).toEqual([]);

    // the site is redeployed; the new build's worker takes over (old cache pruned)
    deploy(2);
    const two = env(storage, 'b2');
    await precache(two, []);
    await prune(two);
    // new code asks for the new version: new bytes
    expect(await text(get(two, `models/m/vectors.bin?v=${v16(MODEL_V2)}`))).toBe(MODEL_V2.toString());
    // the old page's code asks for the old version: not the new weights, a 409 that says to reload
    const stale = await get(two, url1);
    expect(stale.status).toBe(409);
    expect(await stale.text()).toMatch(/models\/m\/vectors\.bin: .*reload the page/);
    const kept = await (await storage.open(cacheName('b2'))).keys();
    expect(kept.map((r) => r.url)).not.toContain(new URL(url1, base).href);
  });

  it('an update keeps unchanged content-addressed files without downloading them again', async () => {
    deploy(1);
    const storage = new MemoryCaches();
    const url1 = `models/m/vectors.bin?v=${v16(MODEL_V1)}`;
    await get(env(storage, 'b1'), url1);
    hits = [];
    const two = env(storage, 'b1b'); // a build with other code but the same model file
    await precache(two, ['assets/index-b1.js'], [url1]);
    await prune(two);
    expect(hits).toEqual(['/app/assets/index-b1.js']);
    expect(await text(get(two, url1))).toBe(MODEL_V1.toString());
  });

  it('a cache.put that fails (quota) does not fail a request the network answered', async () => {
    deploy(1);
    const storage = new MemoryCaches();
    storage.quota = 4; // nothing fits
    const warnings: string[] = [];
    const one = env(storage, 'b1', warnings);
    const page = await get(one, './', 'navigate');
    expect(page.status).toBe(200);
    expect(await page.text()).toBe('<html>build 1</html>');
    expect(await text(get(one, `models/m/vectors.bin?v=${v16(MODEL_V1)}`))).toBe(MODEL_V1.toString());
    expect(await text(get(one, 'assets/index-b1.js'))).toBe('code 1');
    expect(warnings.length).toBe(3);
    expect(warnings[0]).toMatch(/not kept for offline use: .*QuotaExceededError/);
  });

  it("does not cache a static host's HTML answer for a missing file", async () => {
    deploy(1);
    const storage = new MemoryCaches();
    const one = env(storage, 'b1');
    expect((await get(one, 'assets/missing.js')).status).toBe(404);
    expect(await (await storage.open(cacheName('b1'))).keys()).toEqual([]);
  });

  it('adds the cross-origin isolation headers the host does not send to every answer, from the network and offline', async () => {
    deploy(1);
    const storage = new MemoryCaches();
    const one = env(storage, 'b1');
    const isolated = (r: Response) => Object.keys(ISOLATION_HEADERS).map((k) => r.headers.get(k));
    const want = Object.values(ISOLATION_HEADERS);
    const page = await get(one, './', 'navigate');
    expect(isolated(page)).toEqual(want);
    expect(await page.text()).toBe('<html>build 1</html>');
    const asset = await get(one, 'assets/index-b1.js');
    expect(isolated(asset)).toEqual(want);
    expect(asset.headers.get('content-type')).toBe('text/javascript');
    expect(isolated(await get(one, 'assets/missing.js'))).toEqual(want);
    // kept as the host sent it; the headers are added on the way out, from the cache too (offline)
    const kept = await (await storage.open(cacheName('b1'))).match(new URL('./', base).href);
    expect(kept?.headers.get('Cross-Origin-Embedder-Policy')).toBeNull();
    const offline: SwEnv = { ...one, fetch: () => Promise.reject(new TypeError('offline')) };
    const again = await get(offline, './', 'navigate');
    expect(isolated(again)).toEqual(want);
    expect(await again.text()).toBe('<html>build 1</html>');
    expect(isolated(await get(offline, 'assets/index-b1.js'))).toEqual(want);
  });

  it('keeps headers a host already sends, and bodiless statuses bodiless', async () => {
    const own = new Response('x', { headers: { 'Cross-Origin-Embedder-Policy': 'credentialless' } });
    const out = withIsolation(own);
    expect(out.headers.get('Cross-Origin-Embedder-Policy')).toBe('credentialless');
    expect(out.headers.get('Cross-Origin-Opener-Policy')).toBe('same-origin');
    const empty = withIsolation(new Response(null, { status: 204 }));
    expect(empty.status).toBe(204);
    expect(empty.headers.get('Cross-Origin-Opener-Policy')).toBe('same-origin');
    const error = Response.error();
    expect(withIsolation(error)).toBe(error);
  });
});
