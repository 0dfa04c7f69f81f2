/**
 * Revalidation of a downloaded hub model, on request: each cached file is asked for again with its
 * validators (If-None-Match / If-Modified-Since, kept when it was downloaded). 304 keeps the copy; 200
 * replaces it with the new bytes; a file that was never downloaded is left alone.
 */
import { cachedHeaders, HfLoadError, type CacheLike } from './load';

export type RevalidateOutcome = 'unchanged' | 'updated' | 'not-downloaded';

export interface RevalidateResult {
  url: string;
  outcome: RevalidateOutcome;
}

export async function revalidateFiles(
  urls: readonly string[],
  opts: { cache: CacheLike; fetch?: typeof fetch; signal?: AbortSignal },
): Promise<RevalidateResult[]> {
  const doFetch = opts.fetch ?? globalThis.fetch;
  const out: RevalidateResult[] = [];
  for (const url of urls) {
    const cached = await opts.cache.match(url);
    if (!cached?.ok) {
      out.push({ url, outcome: 'not-downloaded' });
      continue;
    }
    const headers: Record<string, string> = {};
    const etag = cached.headers.get('etag');
    const modified = cached.headers.get('last-modified');
    if (etag) headers['if-none-match'] = etag;
    if (modified) headers['if-modified-since'] = modified;
    let res: Response;
    try {
      // no-cache: the browser's HTTP cache must not answer for the server
      res = await doFetch(url, { headers, cache: 'no-cache', signal: opts.signal });
    } catch (e) {
      if (opts.signal?.aborted) throw e;
      throw new HfLoadError(
        url,
        `network error revalidating (${e instanceof Error ? e.message : String(e)})`,
      );
    }
    if (res.status === 304) {
      out.push({ url, outcome: 'unchanged' });
      continue;
    }
    if (!res.ok)
      throw new HfLoadError(url, `HTTP ${res.status} ${res.statusText} while revalidating`, res.status);
    const body = await res.arrayBuffer();
    await opts.cache.put(url, new Response(body, { headers: cachedHeaders(res, body.byteLength) }));
    out.push({ url, outcome: 'updated' });
  }
  return out;
}
