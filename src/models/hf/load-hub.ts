/**
 * A model's files from the hub or a base URL: streamed downloads with per-file progress, kept in the Cache
 * API when there is one (a second load is offline). The weights are model.safetensors or, when the server
 * has none (404), the shards model.safetensors.index.json lists, each kept as a Blob and read tensor by
 * tensor (tensor-source.ts). Before any weight is downloaded, config.json (and the index's total_size)
 * are checked against the device's limits (fit.ts): a model that cannot fit fails with the limit and size.
 */
import type { HfModelFiles } from './embedder';
import { checkFit } from './fit';
import {
  GENERATION_CONFIG,
  HF_CACHE_NAME,
  HfLoadError,
  type CacheLike,
  type HfFileName,
  type LoadHfOptions,
} from './load-types';
import { parseShardIndex, SHARD_INDEX, ShardedSource, type ShardIndex } from './shards';
import { blobSource, type TensorSource } from './tensor-source';

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

export async function fetchModel(base: string, source: string, opts: LoadHfOptions): Promise<HfModelFiles> {
  const cache = await openCache(opts);
  const get = (file: string, progressAs: HfFileName = file as HfFileName, sum?: Summed) =>
    fetchFile(new URL(file, base).toString(), file, progressAs, source, cache, opts, sum);
  const text = async (file: HfFileName) => (await get(file)).text();
  // small files first: a wrong id fails fast, before the weights download starts
  const config = await text('config.json');
  const [tokenizer, tokenizerConfig] = await Promise.all([
    text('tokenizer.json'),
    text('tokenizer_config.json'),
  ]);
  // optional: a model without one answers 404
  const gen = opts.generation
    ? await text(GENERATION_CONFIG).catch((e: unknown) => {
        if (e instanceof HfLoadError && e.status === 404) return undefined;
        throw e;
      })
    : undefined;
  const cached = async (file: string) =>
    !!cache && !!(await cache.match(new URL(file, base).toString()).catch(() => undefined))?.ok;
  const weights = await fetchWeights(get, source, config, opts, await cached(SHARD_INDEX));
  return {
    config,
    tokenizer,
    tokenizerConfig,
    weights,
    source,
    ...(gen !== undefined && { generationConfig: gen }),
  };
}

type Get = (file: string, progressAs?: HfFileName, sum?: Summed) => Promise<Blob>;

/**
 * model.safetensors or, when the server has none (404), the index and its shards. The fit check runs
 * before any weight is downloaded: on config.json alone, then with the index's total_size.
 */
async function fetchWeights(
  get: Get,
  source: string,
  config: string,
  opts: LoadHfOptions,
  /** the index is in the cache (a sharded model downloaded before: no request for model.safetensors) */
  indexCached: boolean,
): Promise<TensorSource> {
  const fit = (totalSize: number | null) => {
    if (opts.limits)
      checkFit(config, `${source}/config.json`, opts.limits, opts.weightFormat ?? 'auto', totalSize);
  };
  const sharded = async (single: HfLoadError | null) => {
    const idx = await get(SHARD_INDEX, 'model.safetensors').catch((e2: unknown) => {
      if (single && e2 instanceof HfLoadError && e2.status === 404)
        throw new HfLoadError(
          single.file,
          `${single.message.slice(single.file.length + 2)}, and there is no ${SHARD_INDEX} (only safetensors weights are supported)`,
          404,
        );
      throw e2;
    });
    const index = parseShardIndex(await idx.text(), `${source}/${SHARD_INDEX}`);
    fit(index.totalSize);
    return fetchShards(get, source, index);
  };
  fit(null);
  if (indexCached) return sharded(null);
  let blob: Blob;
  try {
    blob = await get('model.safetensors');
  } catch (e) {
    if (!(e instanceof HfLoadError && e.status === 404)) throw e;
    return sharded(e);
  }
  return blobSource(blob, `${source}/model.safetensors`);
}

async function fetchShards(get: Get, source: string, index: ShardIndex): Promise<TensorSource> {
  const sum: Summed = { done: 0, total: index.totalSize };
  const shards = new Map<string, TensorSource>();
  for (const name of index.shards) {
    const blob = await get(name, 'model.safetensors', sum);
    shards.set(name, await blobSource(blob, `${source}/${name}`));
    sum.done += blob.size;
  }
  return new ShardedSource(index, shards);
}

/** Shards reported as one file: bytes of the shards already done, and the index's total when it has one. */
interface Summed {
  done: number;
  total: number | null;
}

async function fetchFile(
  url: string,
  file: string,
  progressAs: HfFileName,
  source: string,
  cache: CacheLike | null,
  opts: LoadHfOptions,
  sum?: Summed,
): Promise<Blob> {
  const label = `${source}/${file}`;
  const cached = cache ? await cache.match(url).catch(() => undefined) : undefined;
  if (cached?.ok) return readBody(cached, progressAs, label, true, opts, sum);
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
    const hint = res.status === 401 || res.status === 403 ? ' (gated or private model?)' : '';
    throw new HfLoadError(
      label,
      `HTTP ${res.status}${res.statusText ? ` ${res.statusText}` : ''} from ${url}${hint}`,
      res.status,
    );
  }
  const body = await readBody(res, progressAs, label, false, opts, sum);
  if (cache) {
    const headers = cachedHeaders(res, body.size);
    await cache.put(url, new Response(body, { headers })).catch(() => undefined); // quota: still usable, just not offline
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

/** Reads a response body chunk by chunk, reporting progress, into a Blob (the browser may keep it on disk). */
async function readBody(
  res: Response,
  file: HfFileName,
  label: string,
  fromCache: boolean,
  opts: LoadHfOptions,
  sum?: Summed,
): Promise<Blob> {
  const len = Number(res.headers.get('content-length'));
  const encoding = res.headers.get('content-encoding');
  // a compressed transfer's length is not the body's length
  const total = Number.isFinite(len) && len > 0 && (!encoding || encoding === 'identity') ? len : null;
  const report = (loaded: number) =>
    opts.onProgress?.(
      sum
        ? {
            file,
            loaded: sum.done + loaded,
            // total_size counts tensor bytes only: the shards' headers may take the sum past it
            total: sum.total === null ? null : Math.max(sum.total, sum.done + loaded),
            fromCache,
          }
        : { file, loaded, total, fromCache },
    );
  report(0);
  if (!res.body) {
    const b = await res.blob();
    report(b.size);
    return b;
  }
  const reader = res.body.getReader();
  const chunks: Uint8Array<ArrayBuffer>[] = [];
  let loaded = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value as Uint8Array<ArrayBuffer>);
      loaded += value.byteLength;
      report(loaded);
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
  return new Blob(chunks);
}
