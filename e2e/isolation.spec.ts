/**
 * Cross-origin isolation on a static host that sends no COOP/COEP headers: the built site, served from a
 * subfolder by a plain file server (started here), ends up crossOriginIsolated through its service worker
 * (one reload), the CPU backend's label reports its gemm threads and the helper workers are running. (The
 * threaded gemm and attention are checked against the references in src/gpu/cpu-simd/threads.test.ts.)
 */
import { readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, normalize } from 'node:path';
import { expect, test } from '@playwright/test';
import { pageErrors } from './app';

const DIST = new URL('../dist/', import.meta.url).pathname;
const TYPES: Record<string, string> = {
  '.html': 'text/html',
  '.js': 'text/javascript',
  '.mjs': 'text/javascript',
  '.css': 'text/css',
  '.json': 'application/json',
  '.webmanifest': 'application/manifest+json',
  '.svg': 'image/svg+xml',
  '.wasm': 'application/wasm',
  '.wgsl': 'text/plain',
};

let server: Server;
let origin: string;

test.beforeAll(async () => {
  // the site under /sub/, no headers but Content-Type (like a plain static host)
  server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    if (!path.startsWith('/sub/')) return void res.writeHead(404).end();
    let file = normalize(join(DIST, path.slice('/sub/'.length)));
    if (!file.startsWith(DIST)) return void res.writeHead(403).end();
    if (path.endsWith('/')) file = join(file, 'index.html');
    readFile(file).then(
      (body) =>
        res.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream' }).end(body),
      () => res.writeHead(404, { 'content-type': 'text/plain' }).end('not found'),
    );
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  origin = `http://localhost:${(server.address() as AddressInfo).port}`;
});
test.afterAll(() => new Promise<void>((r) => server.close(() => r())));

test('a static host without COOP/COEP: the service worker isolates the page, the CPU backend runs its gemm on threads', async ({
  page,
}) => {
  test.setTimeout(60_000);
  const errors = pageErrors(page);
  const first = await page.goto(`${origin}/sub/`);
  expect(first?.headers()['cross-origin-embedder-policy']).toBeUndefined();
  // the worker installs and claims the page, which reloads once, served with the headers; an evaluate
  // that lands during that reload loses its context, which counts as "not isolated yet"
  await expect
    .poll(() => page.evaluate(() => crossOriginIsolated).catch(() => false), { timeout: 60_000 })
    .toBe(true);
  await expect(page.getByTestId('app')).toHaveAttribute('data-ready', 'true');
  await page.getByTestId('backend-pref').selectOption('cpu');
  await expect(page.getByTestId('backend-label')).toHaveText(/^CPU \(JS \+ WASM SIMD, \d+ threads\)/);

  // the helper threads: module workers the engine worker started for the gemm
  await expect
    .poll(() => page.workers().filter((w) => w.url().includes('gemm-worker')).length)
    .toBeGreaterThan(0);
  expect(errors).toEqual([]);
});
