/**
 * Loads a Hugging Face model folder (config.json, tokenizer.json, tokenizer_config.json,
 * model.safetensors; generation_config.json too for text generation) into an HfEmbedder (or, through
 * loadHfFiles, the files for a generator) from: a local folder (Node), picked File objects (browser), a
 * hub id "org/name" (https://huggingface.co/<id>/resolve/<revision>/<file>) or a base URL. Downloads
 * stream with per-file progress and are kept in the Cache API when there is one, so a second load is offline.
 */
import { HfEmbedder, type HfEmbedderOptions, type HfModelFiles } from './embedder';
import { MAX_FILE_BYTES, mergeShards, SHARD_INDEX, shardNames } from './shards';

export const HF_FILES = [
  'config.json',
  'tokenizer.json',
  'tokenizer_config.json',
  'model.safetensors',
] as const;
/** read when there is one and the caller asks (`generation`): a generation model's EOS ids and defaults */
export const GENERATION_CONFIG = 'generation_config.json';
export type HfFileName = (typeof HF_FILES)[number] | typeof GENERATION_CONFIG;
export const HF_CACHE_NAME = 'stm-hf-models';

export class HfLoadError extends Error {
  constructor(
    readonly file: string,
    detail: string,
    readonly status?: number,
  ) {
    super(`${file}: ${detail}`);
    this.name = 'HfLoadError';
  }
}

export interface HfLoadProgress {
  readonly file: HfFileName;
  readonly loaded: number;
  /** null when the server does not say */
  readonly total: number | null;
  readonly fromCache: boolean;
}

/** The parts of the Cache API the loader uses. */
export interface CacheLike {
  match(url: string): Promise<Response | undefined>;
  put(url: string, res: Response): Promise<void>;
}

export interface LoadHfOptions extends HfEmbedderOptions {
  onProgress?: (p: HfLoadProgress) => void;
  /** hub revision (default 'main') */
  revision?: string;
  /** hub host (default https://huggingface.co) */
  hubUrl?: string;
  fetch?: typeof fetch;
  /** a cache to use, or false for none (default: caches.open(HF_CACHE_NAME) when the Cache API exists) */
  cache?: CacheLike | false;
  signal?: AbortSignal;
  /** also read generation_config.json when the model has one (text generation; default false) */
  generation?: boolean;
}

/** A local folder path (Node), picked files (browser), a hub id or an http(s) base URL. */
export type HfSource = string | ArrayLike<File>;

const isNode = () => typeof process !== 'undefined' && !!process.versions?.node;
const HUB_ID = /^[A-Za-z0-9][\w.-]*\/[\w.-]+$/;

export async function loadHfModel(source: HfSource, opts: LoadHfOptions = {}): Promise<HfEmbedder> {
  return HfEmbedder.create(await loadHfFiles(source, opts), opts);
}

/** A model folder's files (and generation_config.json when opts.generation and the model has one). */
export async function loadHfFiles(source: HfSource, opts: LoadHfOptions = {}): Promise<HfModelFiles> {
  return typeof source === 'string' ? readStringSource(source, opts) : readPickedFiles(source, opts);
}

async function readStringSource(source: string, opts: LoadHfOptions): Promise<HfModelFiles> {
  if (/^https?:\/\//i.test(source))
    return fetchModel(source.endsWith('/') ? source : `${source}/`, source, opts);
  if (isNode() && (await isLocalDir(source))) return readFolder(source, opts);
  if (HUB_ID.test(source)) {
    const hub = (opts.hubUrl ?? 'https://huggingface.co').replace(/\/+$/, '');
    return fetchModel(
      `${hub}/${source}/resolve/${encodeURIComponent(opts.revision ?? 'main')}/`,
      source,
      opts,
    );
  }
  throw new HfLoadError(
    source,
    isNode()
      ? 'no such folder, and not a hub id ("org/name") or http(s) URL'
      : 'not a hub id ("org/name") or http(s) URL',
  );
}

// A variable specifier keeps bundlers from pulling Node's fs into the browser build.
const FS = 'node:fs/promises';
type Fs = typeof import('node:fs/promises');

async function isLocalDir(path: string): Promise<boolean> {
  const fs = (await import(/* @vite-ignore */ FS)) as Fs;
  return fs.stat(path).then(
    (s) => s.isDirectory(),
    () => false,
  );
}

const exists = (fs: Fs, path: string) =>
  fs.stat(path).then(
    () => true,
    () => false,
  );

const gib = (n: number) => `${(n / 2 ** 30).toFixed(2)} GiB`;

/** A file over 2 GiB cannot be read whole (ERR_FS_FILE_TOO_LARGE): say so before trying, and what to do. */
async function checkSize(fs: Fs, path: string): Promise<void> {
  const size = await fs.stat(path).then(
    (s) => s.size,
    () => 0,
  );
  if (size > MAX_FILE_BYTES)
    throw new HfLoadError(
      path,
      `is ${gib(size)}, over the 2 GiB a single file can be read here: save the model as sharded safetensors (${SHARD_INDEX} + shards under 2 GiB each, e.g. save_pretrained(dir, max_shard_size="1GB")), which the studio reads shard by shard`,
    );
}

/** A sharded checkpoint: the shards its index lists, packed into one safetensors buffer. */
async function readShards(fs: Fs, root: string, opts: LoadHfOptions): Promise<Uint8Array> {
  const indexFile = `${root}/${SHARD_INDEX}`;
  const names = shardNames(await fs.readFile(indexFile, 'utf8'), indexFile);
  const shards: { file: string; buf: ArrayBuffer }[] = [];
  let loaded = 0;
  for (const n of names) {
    const file = `${root}/${n}`;
    if (!(await exists(fs, file))) throw new HfLoadError(file, `missing (listed in ${SHARD_INDEX})`);
    await checkSize(fs, file);
    const b = await fs.readFile(file);
    loaded += b.byteLength;
    opts.onProgress?.({ file: 'model.safetensors', loaded, total: loaded, fromCache: false });
    shards.push({ file, buf: toArrayBuffer(b) });
  }
  return new Uint8Array(mergeShards(shards));
}

async function readFolder(dir: string, opts: LoadHfOptions): Promise<HfModelFiles> {
  const fs = (await import(/* @vite-ignore */ FS)) as Fs;
  const root = dir.replace(/\/+$/, '');
  const read = async (file: HfFileName): Promise<Uint8Array> => {
    if (
      file === 'model.safetensors' &&
      !(await exists(fs, `${root}/${file}`)) &&
      (await exists(fs, `${root}/${SHARD_INDEX}`))
    )
      return readShards(fs, root, opts);
    try {
      await checkSize(fs, `${root}/${file}`);
      const b = await fs.readFile(`${root}/${file}`);
      opts.onProgress?.({ file, loaded: b.byteLength, total: b.byteLength, fromCache: false });
      return b;
    } catch (e) {
      if (e instanceof HfLoadError) throw e;
      const code = (e as NodeJS.ErrnoException).code;
      throw new HfLoadError(
        `${root}/${file}`,
        code === 'ENOENT' ? 'missing from the model folder' : `cannot be read (${code ?? String(e)})`,
      );
    }
  };
  const [config, tokenizer, tokenizerConfig, weights] = await Promise.all(HF_FILES.map(read));
  const text = (b: Uint8Array) => new TextDecoder().decode(b);
  const gen =
    opts.generation && (await exists(fs, `${root}/${GENERATION_CONFIG}`))
      ? text(await read(GENERATION_CONFIG))
      : undefined;
  return {
    config: text(config),
    tokenizer: text(tokenizer),
    tokenizerConfig: text(tokenizerConfig),
    weights: toArrayBuffer(weights),
    source: root,
    ...(gen !== undefined && { generationConfig: gen }),
  };
}

function toArrayBuffer(b: Uint8Array): ArrayBuffer {
  return b.byteOffset === 0 && b.byteLength === b.buffer.byteLength && b.buffer instanceof ArrayBuffer
    ? b.buffer
    : (b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer);
}

/** Picks the four files by name from a folder selection (the shallowest copy of each wins). */
async function readPickedFiles(list: ArrayLike<File>, opts: LoadHfOptions): Promise<HfModelFiles> {
  const all = Array.from(list);
  const path = (f: File) => (f as File & { webkitRelativePath?: string }).webkitRelativePath || f.name;
  const depth = (f: File) => path(f).split('/').length;
  const pick = (name: (typeof HF_FILES)[number]): File => {
    const hits = all.filter((f) => f.name === name).sort((a, b) => depth(a) - depth(b));
    if (!hits.length)
      throw new HfLoadError(name, `missing from the selected files (need ${HF_FILES.join(', ')})`);
    return hits[0];
  };
  const chosen = HF_FILES.map(pick);
  const folder = path(chosen[0]).split('/').slice(0, -1).join('/') || 'selected files';
  const read = async (f: File, name: HfFileName): Promise<ArrayBuffer> => {
    try {
      const b = await f.arrayBuffer();
      opts.onProgress?.({ file: name, loaded: b.byteLength, total: b.byteLength, fromCache: false });
      return b;
    } catch (e) {
      throw new HfLoadError(
        `${folder}/${name}`,
        `cannot be read (${e instanceof Error ? e.message : String(e)})`,
      );
    }
  };
  const [config, tokenizer, tokenizerConfig, weights] = await Promise.all(
    chosen.map((f, i) => read(f, HF_FILES[i])),
  );
  const text = (b: ArrayBuffer) => new TextDecoder().decode(b);
  const genFile = opts.generation
    ? all.filter((f) => f.name === GENERATION_CONFIG).sort((a, b) => depth(a) - depth(b))[0]
    : undefined;
  const gen = genFile ? text(await read(genFile, GENERATION_CONFIG)) : undefined;
  return {
    config: text(config),
    tokenizer: text(tokenizer),
    tokenizerConfig: text(tokenizerConfig),
    weights,
    source: folder,
    ...(gen !== undefined && { generationConfig: gen }),
  };
}

async function openCache(opts: LoadHfOptions): Promise<CacheLike | null> {
  if (opts.cache === false) return null;
  if (opts.cache) return opts.cache;
  const storage = (globalThis as { caches?: CacheStorage }).caches;
  if (!storage) return null;
  try {
    return await storage.open(HF_CACHE_NAME);
  } catch {
    return null; // e.g. opaque origins
  }
}

async function fetchModel(base: string, source: string, opts: LoadHfOptions): Promise<HfModelFiles> {
  const cache = await openCache(opts);
  const get = (file: HfFileName) => fetchFile(new URL(file, base).toString(), file, source, cache, opts);
  // small files first: a wrong id fails fast, before the weights download starts
  const config = await get('config.json');
  const [tokenizer, tokenizerConfig] = await Promise.all([
    get('tokenizer.json'),
    get('tokenizer_config.json'),
  ]);
  // optional: a model without one answers 404
  const gen = opts.generation
    ? await get(GENERATION_CONFIG).catch((e: unknown) => {
        if (e instanceof HfLoadError && e.status === 404) return undefined;
        throw e;
      })
    : undefined;
  const weights = await get('model.safetensors');
  const text = (b: ArrayBuffer) => new TextDecoder().decode(b);
  return {
    config: text(config),
    tokenizer: text(tokenizer),
    tokenizerConfig: text(tokenizerConfig),
    weights,
    source,
    ...(gen !== undefined && { generationConfig: text(gen) }),
  };
}

async function fetchFile(
  url: string,
  file: HfFileName,
  source: string,
  cache: CacheLike | null,
  opts: LoadHfOptions,
): Promise<ArrayBuffer> {
  const label = `${source}/${file}`;
  const cached = cache ? await cache.match(url).catch(() => undefined) : undefined;
  if (cached?.ok) return readBody(cached, file, label, true, opts);
  const doFetch = opts.fetch ?? globalThis.fetch;
  let res: Response;
  try {
    res = await doFetch(url, { signal: opts.signal });
  } catch (e) {
    if (opts.signal?.aborted) throw e;
    throw new HfLoadError(
      label,
      `network error fetching ${url} (${e instanceof Error ? e.message : String(e)})`,
    );
  }
  if (!res.ok) {
    const hint =
      res.status === 401 || res.status === 403
        ? ' (gated or private model?)'
        : res.status === 404 && file === 'model.safetensors'
          ? ' (sharded or non-safetensors weights are not supported)'
          : '';
    throw new HfLoadError(
      label,
      `HTTP ${res.status}${res.statusText ? ` ${res.statusText}` : ''} from ${url}${hint}`,
      res.status,
    );
  }
  const body = await readBody(res, file, label, false, opts);
  if (cache) {
    const headers = cachedHeaders(res, body.byteLength);
    await cache.put(url, new Response(body.slice(0), { headers })).catch(() => undefined); // quota: still usable, just not offline
  }
  return body;
}

/** Headers kept with a cached download: its size and the validators a later revalidation sends back. */
export function cachedHeaders(res: Response, bytes: number): Record<string, string> {
  const h: Record<string, string> = {
    'content-type': 'application/octet-stream',
    'content-length': String(bytes),
  };
  const etag = res.headers.get('x-linked-etag') ?? res.headers.get('etag');
  const modified = res.headers.get('last-modified');
  if (etag) h.etag = etag;
  if (modified) h['last-modified'] = modified;
  return h;
}

/** Reads a response body chunk by chunk, reporting progress. */
async function readBody(
  res: Response,
  file: HfFileName,
  label: string,
  fromCache: boolean,
  opts: LoadHfOptions,
): Promise<ArrayBuffer> {
  const len = Number(res.headers.get('content-length'));
  const encoding = res.headers.get('content-encoding');
  // a compressed transfer's length is not the body's length
  const total = Number.isFinite(len) && len > 0 && (!encoding || encoding === 'identity') ? len : null;
  opts.onProgress?.({ file, loaded: 0, total, fromCache });
  if (!res.body) {
    const b = await res.arrayBuffer();
    opts.onProgress?.({ file, loaded: b.byteLength, total: total ?? b.byteLength, fromCache });
    return b;
  }
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let loaded = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      loaded += value.byteLength;
      opts.onProgress?.({ file, loaded, total, fromCache });
    }
  } catch (e) {
    if (opts.signal?.aborted) throw e;
    throw new HfLoadError(
      label,
      `download interrupted after ${loaded} bytes (${e instanceof Error ? e.message : String(e)})`,
    );
  }
  if (total !== null && loaded !== total)
    throw new HfLoadError(label, `received ${loaded} bytes, expected ${total} (truncated download)`);
  const out = new Uint8Array(loaded);
  let p = 0;
  for (const c of chunks) {
    out.set(c, p);
    p += c.byteLength;
  }
  return out.buffer;
}
