/**
 * Node side of the in-browser comparison (src/bench-web/): builds the comparison page with Vite into the
 * bench cache (never into dist/: the studio's bundle is untouched), serves it and the model folders from a
 * local HTTP server (cross-origin isolated, as the studio is), opens it in the system's Chromium through
 * Playwright and calls window.stmBench in it.
 *
 * Chromium's flags ask for the machine's GPU (Vulkan, blocklist ignored, high-performance adapter); where
 * there is none Chromium's WebGPU falls back to SwiftShader by itself, and where that still gives no
 * adapter the browser is relaunched with --disable-gpu (SwiftShader forced). The page reports which
 * adapter it got, so a CPU-emulated run is always labelled as one.
 */
import { createReadStream, existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { extname, join, normalize, resolve, sep } from 'node:path';
import type { Browser, Page } from '@playwright/test';
import {
  joinRuns,
  type WebAdapter,
  type WebBenchApi,
  type WebBenchRequest,
  type WebBenchResult,
  type WebEngine,
  type WebEngineRun,
} from '../bench-web/protocol';
import { CHROMIUM_BASE_ARGS } from '../../scripts/chromium-args';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const PAGE_SRC = join(ROOT, 'src', 'bench-web');

/** the newest modification time under these folders (the page is rebuilt when a source is newer) */
function newestMtime(paths: readonly string[]): number {
  let t = 0;
  const walk = (p: string) => {
    const s = statSync(p);
    if (s.isDirectory()) for (const e of readdirSync(p)) walk(join(p, e));
    else t = Math.max(t, s.mtimeMs);
  };
  for (const p of paths) if (existsSync(p)) walk(p);
  return t;
}

/**
 * Builds src/bench-web into `outDir` unless the build there is of this checkout with no source changed since
 * (src/, shaders/, package-lock.json). Returns the folder.
 */
export async function buildBenchPage(outDir: string, log: (s: string) => void = () => {}): Promise<string> {
  const stampFile = join(outDir, 'STAMP');
  const newest = newestMtime([join(ROOT, 'src'), join(ROOT, 'shaders'), join(ROOT, 'package-lock.json')]);
  // the checkout it was built from, and its sources' newest mtime (a cache shared between checkouts rebuilds)
  const stamp = `${ROOT} ${newest}`;
  if (existsSync(stampFile) && readFileSync(stampFile, 'utf8') === stamp) return outDir;
  log(`building the comparison page into ${outDir} ...`);
  const { build } = await import('vite');
  await build({
    configFile: false,
    root: PAGE_SRC,
    base: './',
    logLevel: 'error',
    worker: { format: 'es' },
    build: {
      outDir,
      emptyOutDir: true,
      target: 'es2022',
      reportCompressedSize: false,
      chunkSizeWarningLimit: 100_000,
      // shaders as files, as in the studio's build
      assetsInlineLimit: (file: string) => (file.endsWith('.wgsl') ? false : undefined),
    },
  });
  writeFileSync(stampFile, stamp);
  return outDir;
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript',
  '.mjs': 'text/javascript',
  '.wasm': 'application/wasm',
  '.json': 'application/json',
  '.wgsl': 'text/plain; charset=utf-8',
  '.map': 'application/json',
};

/**
 * A static server: "/" is `pageDir`, "/models/<name>/..." is mounts[name]. Cross-origin isolated (COOP +
 * COEP), as the studio's servers are; answers HEAD and single-range requests. Listens on `port` (0: any free port) on localhost.
 */
export async function serveBench(
  pageDir: string,
  mounts: Readonly<Record<string, string>>,
  port = 0,
): Promise<{ url: string; close(): Promise<void> }> {
  const server: Server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    const m = /^\/models\/([^/]+)\/(.*)$/.exec(path);
    const mount = m ? mounts[m[1]] : pageDir;
    const root = mount ? resolve(mount) : '';
    const rel = m ? m[2] : path === '/' ? 'index.html' : path.slice(1);
    const file = root ? resolve(root, normalize(rel)) : '';
    const ok = !!root && file.startsWith(root + sep) && existsSync(file);
    if (!ok || !statSync(file).isFile()) {
      res.writeHead(404).end(`${path}: not found`);
      return;
    }
    const size = statSync(file).size;
    const headers = {
      'Content-Type': TYPES[extname(file)] ?? 'application/octet-stream',
      'Accept-Ranges': 'bytes',
      'Cross-Origin-Opener-Policy': 'same-origin',
      'Cross-Origin-Embedder-Policy': 'require-corp',
      'Cross-Origin-Resource-Policy': 'same-origin',
      'Cache-Control': 'no-store',
    };
    // one byte range (the studio's engine reads the weights tensor by tensor: src/bench-web/range-source.ts)
    const r = /^bytes=(\d+)-(\d*)$/.exec(req.headers.range ?? '');
    if (r) {
      const start = Number(r[1]);
      const end = r[2] ? Math.min(Number(r[2]), size - 1) : size - 1;
      if (start > end) {
        res.writeHead(416, { 'Content-Range': `bytes */${size}` }).end();
        return;
      }
      res.writeHead(206, {
        ...headers,
        'Content-Length': end - start + 1,
        'Content-Range': `bytes ${start}-${end}/${size}`,
      });
      createReadStream(file, { start, end }).pipe(res);
      return;
    }
    res.writeHead(200, { ...headers, 'Content-Length': size });
    if (req.method === 'HEAD') res.end();
    else createReadStream(file).pipe(res);
  });
  await new Promise<void>((ok, fail) => server.once('error', fail).listen(port, '127.0.0.1', ok));
  const { port: p } = server.address() as AddressInfo;
  return {
    url: `http://localhost:${p}/`,
    close: () => new Promise<void>((ok) => server.close(() => ok())),
  };
}

/** Flags for Chromium: the machine's GPU when it has one (WebGPU falls back to SwiftShader by itself). */
export const CHROMIUM_GPU_ARGS = [
  ...CHROMIUM_BASE_ARGS,
  '--enable-features=Vulkan',
  '--ignore-gpu-blocklist',
];

export interface BenchBrowser {
  readonly adapter: WebAdapter;
  /** how the browser was launched, for the log ("GPU flags" or "SwiftShader forced") */
  readonly launch: string;
  run(req: WebBenchRequest): Promise<WebBenchResult>;
  close(): Promise<void>;
}

/**
 * One engine's run in a page of its own context (its own renderer process), closed afterwards: the first
 * engine's memory (ORT's wasm heap keeps its high-water mark; GPU buffers go with the page's device) is
 * gone before the second engine loads.
 */
async function runInFreshPage(
  browser: Browser,
  url: string,
  log: (s: string) => void,
  req: WebBenchRequest,
  engine: WebEngine,
): Promise<WebEngineRun> {
  const context = await browser.newContext();
  try {
    const page = await context.newPage();
    page.on('console', (m) => log(`  [page] ${m.text()}`));
    page.on('pageerror', (e) => log(`  [page error] ${e.message}`));
    page.on('crash', () => log(`  [page crashed] ${engine} engine`));
    await page.goto(url);
    await page.waitForFunction(() => 'stmBench' in globalThis, undefined, { timeout: 60_000 });
    return await page.evaluate(
      ([r, e]) => (globalThis as unknown as { stmBench: WebBenchApi }).stmBench.runEngine(r, e),
      [req, engine] as const,
    );
  } finally {
    await context.close();
  }
}

/**
 * Launches Chromium (STM_CHROMIUM, default /usr/bin/chromium) on `url`, waits for the page's API and asks
 * it for the adapter; each run then gives each engine a fresh page (runInFreshPage). Page console lines
 * go to `log`.
 */
export async function openBenchBrowser(
  url: string,
  log: (s: string) => void = () => {},
): Promise<BenchBrowser> {
  const executablePath = process.env.STM_CHROMIUM ?? '/usr/bin/chromium';
  if (!existsSync(executablePath))
    throw new Error(`${executablePath}: no Chromium here (set STM_CHROMIUM to a Chromium binary)`);
  const { chromium } = await import('@playwright/test');
  // the Vulkan loader of the bench's own Node WebGPU (SwiftShader ICD) must not steer the browser's
  const env = Object.fromEntries(
    Object.entries(process.env).filter(([k, v]) => k !== 'VK_ICD_FILENAMES' && v !== undefined),
  ) as Record<string, string>;
  const attempts: [string, string[]][] = [
    ['GPU flags', CHROMIUM_GPU_ARGS],
    ['SwiftShader forced (--disable-gpu)', [...CHROMIUM_GPU_ARGS, '--disable-gpu']],
  ];
  for (const [launch, args] of attempts) {
    const browser: Browser = await chromium.launch({ executablePath, args, env });
    try {
      const page: Page = await browser.newPage();
      page.on('console', (m) => log(`  [page] ${m.text()}`));
      page.on('pageerror', (e) => log(`  [page error] ${e.message}`));
      await page.goto(url);
      await page.waitForFunction(() => 'stmBench' in globalThis, undefined, { timeout: 60_000 });
      const adapter = await page.evaluate(() =>
        (globalThis as unknown as { stmBench: WebBenchApi }).stmBench.adapter(),
      );
      if (!adapter) {
        await browser.close();
        continue;
      }
      await page.close();
      const engine = (req: WebBenchRequest, e: WebEngine) => runInFreshPage(browser, url, log, req, e);
      return {
        adapter,
        launch,
        run: async (req) => {
          const o = await engine(req, 'ort');
          // the studio on ORT's text order and token counts, so the rows compare one to one
          const s = await engine({ ...req, b32: o.b32, tokens: o.tokens }, 'studio');
          return joinRuns(o, s);
        },
        close: () => browser.close(),
      };
    } catch (e) {
      await browser.close();
      throw e;
    }
  }
  throw new Error('Chromium offers no WebGPU adapter, even with SwiftShader forced');
}
