/**
 * Loads WGSL text from the URL a kernel module computed with `new URL(..., import.meta.url)`.
 * `file:` URLs (Vitest, tsx, plain Node) are read with node:fs/promises through a dynamic import whose
 * specifier bundlers do not follow; anything else (Vite dev server, built assets, workers) is fetched.
 * Sources are cached per URL, including in-flight loads.
 */
const cache = new Map<string, Promise<string>>();

async function readFileUrl(url: URL): Promise<string> {
  const spec = 'node:fs/promises';
  const fs = (await import(/* @vite-ignore */ spec)) as typeof import('node:fs/promises');
  return fs.readFile(url, 'utf8');
}

async function fetchText(url: URL): Promise<string> {
  const res = await fetch(url);
  if (!res.ok) throw new Error(`loading shader ${url.href}: HTTP ${res.status}`);
  return res.text();
}

export function loadShaderSource(url: URL): Promise<string> {
  const key = url.href;
  let p = cache.get(key);
  if (!p) {
    p = (url.protocol === 'file:' ? readFileUrl(url) : fetchText(url)).catch((err: unknown) => {
      cache.delete(key);
      throw new Error(`cannot load shader ${key}: ${err instanceof Error ? err.message : String(err)}`);
    });
    cache.set(key, p);
  }
  return p;
}

/** The program's full text: its prelude files (shared functions), then its own source. */
export async function loadShader(ref: { url: URL; prelude?: readonly URL[] }): Promise<string> {
  const parts = await Promise.all([...(ref.prelude ?? []), ref.url].map(loadShaderSource));
  return parts.join('\n');
}

export function shaderSourceCacheSize(): number {
  return cache.size;
}
