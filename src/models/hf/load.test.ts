/**
 * loadHfModel from a hub id / base URL (a node:http server on 127.0.0.1 serving the tiny model; no real
 * network), from picked File objects, with progress, the Cache API (an in-memory stand-in) and errors.
 */
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCpuBackend } from '../../gpu/cpu';
import { TINY_MODELS_DIR } from '../../../scripts/make-tiny-models';
import { HF_FILES, HfLoadError, loadHfModel, type CacheLike, type HfLoadProgress } from './load';

const QWEN = join(TINY_MODELS_DIR, 'tiny-qwen3');
const files = new Map(HF_FILES.map((f) => [f, readFileSync(join(QWEN, f))]));

/** Serves /org/tiny/resolve/main/<file> and /plain/<file>; /org/broken/... answers 500 for the weights and truncates them under /org/cut. */
let server: Server;
let base: string;
const requests: string[] = [];
beforeAll(async () => {
  server = createServer((req, res) => {
    const url = req.url ?? '';
    requests.push(url);
    const m = /^\/(?:org\/(tiny|broken|cut)\/resolve\/main|plain)\/([\w.]+)$/.exec(url);
    const body = m ? files.get(m[2] as (typeof HF_FILES)[number]) : undefined;
    if (!m || !body) {
      res.writeHead(404, 'Not Found').end('no');
      return;
    }
    if (m[1] === 'broken' && m[2] === 'model.safetensors') {
      res.writeHead(500, 'Internal Server Error').end();
      return;
    }
    res.writeHead(200, { 'content-length': String(body.length), 'content-type': 'application/octet-stream' });
    if (m[1] === 'cut' && m[2] === 'model.safetensors') {
      res.write(body.subarray(0, 1000), () => res.destroy());
      return;
    }
    // two chunks, so progress has an intermediate step
    const half = Math.floor(body.length / 2);
    res.write(body.subarray(0, half), () => setTimeout(() => res.end(body.subarray(half)), 20));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

function memoryCache(): CacheLike & { size: () => number } {
  const m = new Map<string, ArrayBuffer>();
  return {
    size: () => m.size,
    match: async (url) => {
      const b = m.get(url);
      return b
        ? new Response(b.slice(0), { headers: { 'content-length': String(b.byteLength) } })
        : undefined;
    },
    put: async (url, res) => {
      m.set(url, await res.arrayBuffer());
    },
  };
}

const backend = createCpuBackend();
const TEXTS = ['the patient', 'cells in the wind tunnel'];

describe('loadHfModel', () => {
  let reference: Float32Array;
  beforeAll(async () => {
    reference = await (await loadHfModel(QWEN)).embed(backend, TEXTS, 'query');
  });

  it('downloads a hub id with streaming progress, caches it and loads it again offline', async () => {
    const cache = memoryCache();
    const events: HfLoadProgress[] = [];
    const before = requests.length;
    const emb = await loadHfModel('org/tiny', { hubUrl: base, cache, onProgress: (p) => events.push(p) });
    expect(requests.slice(before)).toEqual(HF_FILES.map((f) => `/org/tiny/resolve/main/${f}`));
    expect(Array.from(await emb.embed(backend, TEXTS, 'query'))).toEqual(Array.from(reference));
    expect(emb.id).toBe('org/tiny');
    for (const f of HF_FILES) {
      const ev = events.filter((e) => e.file === f);
      const size = files.get(f)!.length;
      expect(ev.every((e) => e.total === size && !e.fromCache)).toBe(true);
      expect(ev.map((e) => e.loaded)).toEqual([...ev.map((e) => e.loaded)].sort((a, b) => a - b));
      expect(ev[ev.length - 1].loaded).toBe(size);
      expect(ev.length).toBeGreaterThanOrEqual(3); // 0, half, all
    }
    expect(cache.size()).toBe(4);

    // second load: no request reaches the server
    const again: HfLoadProgress[] = [];
    const n = requests.length;
    const offline = await loadHfModel('org/tiny', {
      hubUrl: base,
      cache,
      onProgress: (p) => again.push(p),
      fetch: () => Promise.reject(new Error('offline')),
    });
    expect(requests.length).toBe(n);
    expect(again.some((e) => e.fromCache)).toBe(true);
    expect(Array.from(await offline.embed(backend, TEXTS, 'query'))).toEqual(Array.from(reference));
  });

  it('loads from a base URL, with or without the trailing slash', async () => {
    const emb = await loadHfModel(`${base}/plain`, { cache: false });
    expect(Array.from(await emb.embed(backend, TEXTS, 'query'))).toEqual(Array.from(reference));
    await expect(loadHfModel(`${base}/plain/`, { cache: false })).resolves.toBeDefined();
  });

  it('names the file and the HTTP status when a download fails', async () => {
    const err = await loadHfModel('org/missing', { hubUrl: base, cache: false }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HfLoadError);
    expect((err as HfLoadError).status).toBe(404);
    expect((err as Error).message).toMatch(
      /^org\/missing\/config\.json: HTTP 404 Not Found from http:\/\/127\.0\.0\.1:\d+\/org\/missing\/resolve\/main\/config\.json/,
    );
    await expect(loadHfModel('org/broken', { hubUrl: base, cache: false })).rejects.toThrow(
      /org\/broken\/model\.safetensors: HTTP 500 Internal Server Error/,
    );
    await expect(loadHfModel('org/cut', { hubUrl: base, cache: false })).rejects.toThrow(
      /org\/cut\/model\.safetensors: (download interrupted after \d+ bytes|received 1000 bytes, expected \d+)/,
    );
    await expect(loadHfModel('org/tiny', { hubUrl: 'http://127.0.0.1:1', cache: false })).rejects.toThrow(
      /org\/tiny\/config\.json: network error fetching/,
    );
    await expect(loadHfModel('/no/such/folder', { cache: false })).rejects.toThrow(
      /\/no\/such\/folder: no such folder/,
    );
  });

  it('does not cache a failed download', async () => {
    const cache = memoryCache();
    await expect(loadHfModel('org/broken', { hubUrl: base, cache })).rejects.toThrow(/HTTP 500/);
    expect(cache.size()).toBe(3); // the three small files only
  });

  it('loads from picked File objects (browser folder pick) and names a missing one', async () => {
    const picked = HF_FILES.map((f) => new File([files.get(f)!], f));
    const extra = new File(['{}'], 'config.json'); // a same-named file deeper in the tree is ignored
    Object.defineProperty(extra, 'webkitRelativePath', { value: 'tiny/sub/config.json' });
    const emb = await loadHfModel([...picked, extra]);
    expect(Array.from(await emb.embed(backend, TEXTS, 'query'))).toEqual(Array.from(reference));
    await expect(loadHfModel(picked.filter((f) => f.name !== 'tokenizer_config.json'))).rejects.toThrow(
      /tokenizer_config\.json: missing from the selected files/,
    );
  });
});
