import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryCaches } from '../../testing/memory-caches';
import { cachedHeaders, type CacheLike } from './load';
import { revalidateFiles } from './revalidate';

/** A hub over real HTTP that honours If-None-Match with the file's ETag. */
const files = new Map<string, Buffer>();
const seen: { url: string; ifNoneMatch?: string }[] = [];
let server: Server;
let base: string;
const etagOf = (b: Buffer) => `"${createHash('sha256').update(b).digest('hex').slice(0, 20)}"`;

beforeAll(async () => {
  server = createServer((req, res) => {
    seen.push({ url: req.url ?? '', ifNoneMatch: req.headers['if-none-match'] });
    const body = files.get(req.url ?? '');
    if (!body) return void res.writeHead(404).end('Entry not found');
    const etag = etagOf(body);
    if (req.headers['if-none-match'] === etag) return void res.writeHead(304, { etag }).end();
    res.writeHead(200, { etag, 'content-type': 'application/octet-stream' }).end(body);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

/** Stores a download with the headers the loader keeps (cachedHeaders). */
async function fetchHubFileForTest(url: string, cache: CacheLike) {
  const res = await fetch(url);
  const body = await res.arrayBuffer();
  await cache.put(url, new Response(body, { headers: cachedHeaders(res, body.byteLength) }));
}

describe('revalidateFiles', () => {
  it('asks with the stored ETag: 304 keeps the copy, a changed file replaces it, a missing one is skipped', async () => {
    files.set('/org/m/resolve/main/config.json', Buffer.from('{"a":1}'));
    files.set('/org/m/resolve/main/model.safetensors', Buffer.from('old weights'));
    const storage = new MemoryCaches();
    const cache = await storage.open('stm-hf-models');
    const url = (f: string) => `${base}/org/m/resolve/main/${f}`;
    // downloaded as the loader does (validators kept)
    await fetchHubFileForTest(url('config.json'), cache);
    await fetchHubFileForTest(url('model.safetensors'), cache);
    expect((await cache.match(url('config.json')))?.headers.get('etag')).toBe(etagOf(Buffer.from('{"a":1}')));

    files.set('/org/m/resolve/main/model.safetensors', Buffer.from('new weights!'));
    seen.length = 0;
    const r = await revalidateFiles([url('config.json'), url('model.safetensors'), url('tokenizer.json')], {
      cache,
    });
    expect(r.map((x) => x.outcome)).toEqual(['unchanged', 'updated', 'not-downloaded']);
    expect(seen.map((s) => s.ifNoneMatch)).toEqual([
      etagOf(Buffer.from('{"a":1}')),
      etagOf(Buffer.from('old weights')),
    ]);
    expect(await (await cache.match(url('model.safetensors')))?.text()).toBe('new weights!');
    expect(await (await cache.match(url('config.json')))?.text()).toBe('{"a":1}');
  });

  it('a file gone from the hub is an error naming its URL, and the copy stays', async () => {
    const storage = new MemoryCaches();
    const cache = await storage.open('stm-hf-models');
    files.set('/org/g/resolve/main/config.json', Buffer.from('{}'));
    const u = `${base}/org/g/resolve/main/config.json`;
    await fetchHubFileForTest(u, cache);
    files.delete('/org/g/resolve/main/config.json');
    await expect(revalidateFiles([u], { cache })).rejects.toThrow(`${u}: HTTP 404`);
    expect(await (await cache.match(u))?.text()).toBe('{}');
  });
});
