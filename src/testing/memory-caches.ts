/**
 * The Cache API (CacheStorage, Cache) in memory, for testing service-worker logic in Node, which has no
 * `caches`. Entries are keyed by URL (GET only); `match` honours `ignoreSearch`. A storage quota in bytes
 * can be set: a `put` that would go over it rejects with a QuotaExceededError, as browsers do.
 */
class MemoryCache implements Cache {
  readonly entries = new Map<string, { body: ArrayBuffer; init: ResponseInit; url: string }>();
  constructor(private readonly storage: MemoryCaches) {}

  private find(req: RequestInfo | URL, opts?: CacheQueryOptions) {
    const url = new URL(typeof req === 'string' || req instanceof URL ? req : req.url);
    if (!opts?.ignoreSearch) return this.entries.get(url.href);
    for (const [k, v] of this.entries) {
      const u = new URL(k);
      if (u.origin + u.pathname === url.origin + url.pathname) return v;
    }
    return undefined;
  }
  async match(req: RequestInfo | URL, opts?: CacheQueryOptions): Promise<Response | undefined> {
    const e = this.find(req, opts);
    if (!e) return undefined;
    return new Response(e.body.slice(0), e.init);
  }
  async matchAll(): Promise<readonly Response[]> {
    return [...this.entries.values()].map((e) => new Response(e.body.slice(0), e.init));
  }
  async put(req: RequestInfo | URL, res: Response): Promise<void> {
    const url = new URL(typeof req === 'string' || req instanceof URL ? req : req.url).href;
    const body = await res.arrayBuffer();
    if (
      this.storage.used() - (this.entries.get(url)?.body.byteLength ?? 0) + body.byteLength >
      this.storage.quota
    )
      throw new DOMException('Quota exceeded.', 'QuotaExceededError');
    const headers: Record<string, string> = {};
    res.headers.forEach((v, k) => (headers[k] = v));
    this.entries.set(url, { body, url, init: { status: res.status, statusText: res.statusText, headers } });
  }
  async add(): Promise<void> {
    throw new Error('not used');
  }
  async addAll(): Promise<void> {
    throw new Error('not used');
  }
  async delete(req: RequestInfo | URL, opts?: CacheQueryOptions): Promise<boolean> {
    const e = this.find(req, opts);
    return e ? this.entries.delete(e.url) : false;
  }
  async keys(): Promise<readonly Request[]> {
    return [...this.entries.keys()].map((u) => new Request(u));
  }
}

export class MemoryCaches implements CacheStorage {
  readonly caches = new Map<string, MemoryCache>();
  /** bytes all caches may hold together */
  quota = Infinity;

  used(): number {
    let n = 0;
    for (const c of this.caches.values()) for (const e of c.entries.values()) n += e.body.byteLength;
    return n;
  }
  async open(name: string): Promise<Cache> {
    let c = this.caches.get(name);
    if (!c) this.caches.set(name, (c = new MemoryCache(this)));
    return c;
  }
  async has(name: string): Promise<boolean> {
    return this.caches.has(name);
  }
  async delete(name: string): Promise<boolean> {
    return this.caches.delete(name);
  }
  async keys(): Promise<string[]> {
    return [...this.caches.keys()];
  }
  async match(req: RequestInfo | URL, opts?: MultiCacheQueryOptions): Promise<Response | undefined> {
    for (const c of this.caches.values()) {
      const hit = await c.match(req, opts);
      if (hit) return hit;
    }
    return undefined;
  }
}
