/**
 * The worker's models: built-ins from the registry and imported ones (folder files in IndexedDB, hub
 * downloads in the Cache API), each loaded once; the user's templates applied on top. Imports live in
 * model-import.ts.
 */
import { describeEmbedder, type ConfigHint, type ModelDetails } from '../../../models/describe';
import { HF_CACHE_NAME, HF_FILES, loadHfModel, type CacheLike } from '../../../models/hf';
import { HfEmbedder } from '../../../models/hf/embedder';
import type { DeviceFitLimits, WeightFormatChoice } from '../../../models/hf/fit';
import { parseShardIndex, SHARD_INDEX } from '../../../models/hf/shards';
import { revalidateFiles, type RevalidateResult } from '../../../models/hf/revalidate';
import { loadOrtEmbedder } from '../../../models/ort/embedder';
import { parseJsonFile } from '../../../models/ort/tokenizer';
import type { AssetFetcher } from '../../../models/registry';
import type { Embedder, ModelInfo } from '../../../models/types';
import type { ModelRecord, StudioDB } from '../../../store/db';
import { deleteModelRecord, getModelRecord, listModelRecords, readModelFiles } from '../../../store/models';
import type { ModelTemplates } from '../../../models/types';
import { deleteEmbeddings } from '../../../store/embeddings';
import { loadTemplateOverrides, saveTemplateOverride } from '../../../store/templates';
import { listExperts } from '../../../store/training';
import { loadWeightFormats, saveWeightFormat } from '../../../store/weight-formats';
import { expertModelId } from '../../../experts/record';
import { ModelImportError } from './files';
import type { ModelEntry, TemplatesResult } from './protocol';
import { checkTemplates, defaultTemplates, sameTemplates, withTemplates } from './templates';

/** Where hub models come from; tests serve local files through `fetch` and keep them in a Map `cache`. */
export interface HubOptions {
  fetch?: typeof fetch;
  cache?: (CacheLike & { delete?(url: string): Promise<boolean> }) | false;
  hubUrl?: string;
}

export interface ModelHost {
  db(): Promise<StudioDB>;
  /** the app's asset fetcher (set by init) */
  fetcher(): AssetFetcher;
  listModels(): readonly ModelInfo[];
  loadEmbedder(id: string, fetchAsset: AssetFetcher): Promise<Embedder>;
  hub?: HubOptions;
}

export interface Loaded {
  embedder: Embedder;
  details: ModelDetails;
  /** bytes read to load it */
  bytes: number;
}

const HUB = 'https://huggingface.co';
export const isUrl = (s: string) => /^https?:\/\//i.test(s);

/** URLs of a hub model's files as loadHfModel fetches them (to drop them from the Cache API). */
export function hubFileUrls(origin: string, hubUrl = HUB): string[] {
  const base = isUrl(origin)
    ? origin.endsWith('/')
      ? origin
      : `${origin}/`
    : `${hubUrl.replace(/\/+$/, '')}/${origin}/resolve/main/`;
  return HF_FILES.map((f) => new URL(f, base).toString());
}

/** Loads the model of a record from its stored files (folder) or from the hub (cache first). */
export async function loadRecord(
  rec: Pick<ModelRecord, 'id' | 'source' | 'origin' | 'engine'>,
  files: Map<string, Blob> | null,
  hub: HubOptions,
  signal?: AbortSignal,
  onFile?: (file: string, loaded: number, total: number | null) => void,
  limits?: DeviceFitLimits,
): Promise<Loaded> {
  if (rec.source === 'hub') {
    let bytes = 0;
    const sizes = new Map<string, number>();
    const e = await loadHfModel(rec.origin, {
      id: rec.id,
      fetch: hub.fetch,
      cache: hub.cache,
      hubUrl: hub.hubUrl,
      signal,
      limits,
      onProgress: (p) => {
        sizes.set(p.file, p.loaded);
        onFile?.(p.file, p.loaded, p.total);
      },
    });
    for (const b of sizes.values()) bytes += b;
    return { embedder: e, details: describeEmbedder(e), bytes };
  }
  if (!files) throw new Error(`${rec.id}: no stored files`);
  const root = rec.origin;
  const bytes = [...files.values()].reduce((n, b) => n + b.size, 0);
  if (rec.engine === 'native') {
    const picked = [...files].map(([path, b]) => {
      const f = new File([b], path.split('/').pop() as string);
      Object.defineProperty(f, 'webkitRelativePath', { value: `${root}/${path}` });
      return f;
    });
    const e = await loadHfModel(picked, { id: rec.id });
    return { embedder: e, details: describeEmbedder(e), bytes };
  }
  const fetchAsset: AssetFetcher = async (path) => {
    const rel = path.startsWith(`${root}/`) ? path.slice(root.length + 1) : path;
    const b = files.get(rel);
    if (!b) throw new ModelImportError(path, 'not in the imported files');
    return b.arrayBuffer();
  };
  const config: ConfigHint = files.has('config.json')
    ? parseJsonFile(await (files.get('config.json') as Blob).arrayBuffer(), `${root}/config.json`)
    : null;
  const e = await loadOrtEmbedder(fetchAsset, { id: rec.id, dir: root });
  return { embedder: e, details: describeEmbedder(e, { config }), bytes };
}

export class ModelManager {
  private readonly loaded = new Map<string, Promise<Loaded>>();

  constructor(private readonly host: ModelHost) {}

  private get hub(): HubOptions {
    return this.host.hub ?? {};
  }

  /** Built-ins first (the default first), then imports by import time. */
  async list(): Promise<ModelEntry[]> {
    const db = await this.host.db();
    const [records, overrides, formats] = await Promise.all([
      listModelRecords(db),
      loadTemplateOverrides(db),
      loadWeightFormats(db),
    ]);
    const out: ModelEntry[] = [];
    for (const info of this.host.listModels()) {
      const l = await this.peek(info.id);
      const defaults = l ? defaultTemplates(l.embedder) : null;
      out.push(
        this.entry(
          {
            ...info,
            source: 'builtin',
            origin: null,
            bytes: l?.bytes ?? null,
            importedAt: null,
            details: l?.details ?? null,
            defaults,
            weightFormat: null,
          },
          overrides[info.id],
        ),
      );
    }
    for (const r of records) {
      const info = { id: r.id, name: r.name, kind: r.kind, dim: r.dim, description: r.description };
      out.push(
        this.entry(
          {
            ...info,
            source: r.source,
            origin: r.origin,
            bytes: r.bytes,
            importedAt: r.importedAt,
            details: (await this.peek(r.id))?.details ?? r.details,
            defaults: r.defaults,
            // the studio's kernels run imported transformers from safetensors (not ONNX ones)
            weightFormat: r.kind === 'transformer' ? (formats[r.id] ?? 'auto') : null,
          },
          overrides[r.id],
        ),
      );
    }
    return out;
  }

  private entry(
    e: Omit<ModelEntry, 'templates' | 'custom' | 'engine' | 'ep'>,
    override: ModelTemplates | undefined,
  ): ModelEntry {
    const engine = e.kind === 'onnx' ? 'onnxruntime-web' : 'studio';
    return {
      ...e,
      engine,
      ep: e.details?.ep ?? null,
      templates: override ?? e.defaults,
      custom: override !== undefined,
    };
  }

  /** The loaded model if it is loaded (or loading), without starting a load. */
  private async peek(id: string): Promise<Loaded | null> {
    const p = this.loaded.get(id);
    return p ? p.catch(() => null) : null;
  }

  /** Loads a model once (built-in or imported). */
  load(id: string, signal?: AbortSignal): Promise<Loaded> {
    let p = this.loaded.get(id);
    if (!p) {
      p = this.loadNow(id, signal);
      p.catch(() => this.loaded.delete(id));
      this.loaded.set(id, p);
    }
    return p;
  }

  /** Keeps a model loaded by an import. */
  remember(id: string, l: Loaded): void {
    this.loaded.set(id, Promise.resolve(l));
  }

  private async loadNow(id: string, signal?: AbortSignal): Promise<Loaded> {
    if (this.host.listModels().some((m) => m.id === id)) {
      let bytes = 0;
      const base = this.host.fetcher();
      const counting: AssetFetcher = (p) => base(p).then((b) => ((bytes += b.byteLength), b));
      const e = await this.host.loadEmbedder(id, counting);
      return { embedder: e, details: describeEmbedder(e), bytes };
    }
    const db = await this.host.db();
    const rec = await getModelRecord(id, db);
    const files = rec.source === 'folder' ? await readModelFiles(id, db) : null;
    const l = await loadRecord(rec, files, this.hub, signal);
    // the format the user chose (nothing is uploaded before the first embed)
    const format = (await loadWeightFormats(db))[id];
    if (format && l.embedder instanceof HfEmbedder) l.embedder.model.weights.format = format;
    return l;
  }

  /**
   * Keeps a model's weight format for its next loads. Vectors cached in another format (the model's own
   * and those of experts trained over it) no longer match what it embeds, so they are dropped.
   */
  async saveWeightFormat(id: string, format: WeightFormatChoice, changed: boolean): Promise<void> {
    const db = await this.host.db();
    await saveWeightFormat(id, format, db);
    if (!changed) return;
    await deleteEmbeddings({ model: id }, db);
    for (const x of await listExperts(db))
      if (x.baseModel === id) await deleteEmbeddings({ model: expertModelId(x.id) }, db);
  }

  /** The model with the user's templates applied (what evaluation and similarity embed with). */
  async embedder(id: string, signal?: AbortSignal): Promise<Embedder> {
    const l = await this.load(id, signal);
    const override = (await loadTemplateOverrides(await this.host.db()))[id];
    return override ? withTemplates(l.embedder, override) : l.embedder;
  }

  async templates(id: string): Promise<TemplatesResult> {
    const l = await this.load(id);
    const defaults = defaultTemplates(l.embedder);
    const override = (await loadTemplateOverrides(await this.host.db()))[id];
    return { id, defaults, templates: override ?? defaults, custom: override !== undefined };
  }

  /** Saves (or with null, resets) a model's templates; the model's own templates need no override. */
  async setTemplates(id: string, t: ModelTemplates | null): Promise<TemplatesResult> {
    const l = await this.load(id);
    const defaults = defaultTemplates(l.embedder);
    const checked = t ? checkTemplates(t, defaults, id) : null;
    await saveTemplateOverride(
      id,
      checked && !sameTemplates(checked, defaults) ? checked : null,
      await this.host.db(),
    );
    return this.templates(id);
  }

  /** Deletes an imported model, its files, cached embeddings, templates and cached downloads (runs stay). */
  async delete(id: string): Promise<void> {
    if (this.host.listModels().some((m) => m.id === id))
      throw new Error(`"${id}" is built in and cannot be deleted`);
    const db = await this.host.db();
    const rec = await getModelRecord(id, db);
    await deleteModelRecord(id, db);
    await saveTemplateOverride(id, null, db);
    await saveWeightFormat(id, 'auto', db);
    const p = this.loaded.get(id);
    this.loaded.delete(id);
    void p
      ?.then((l) => {
        const m = l.embedder as { release?: () => void; dispose?: () => Promise<void> };
        m.release?.();
        return m.dispose?.();
      })
      .catch(() => undefined);
    if (rec.source === 'hub') await this.dropDownloads(rec.origin);
  }

  /**
   * Asks the hub again for a downloaded model's files with their validators (on the user's request):
   * unchanged files stay, changed ones replace the copy and the model is loaded afresh on next use.
   */
  async revalidate(id: string, signal?: AbortSignal): Promise<RevalidateResult[]> {
    if (this.host.listModels().some((m) => m.id === id))
      throw new Error(`"${id}" is built in (served with the site): there is nothing to revalidate`);
    const rec = await getModelRecord(id, await this.host.db());
    if (!rec || rec.source !== 'hub' || !rec.origin)
      throw new Error(`"${id}" was not downloaded from a hub or URL; there is nothing to revalidate`);
    const cache = await this.downloadCache();
    if (!cache) throw new Error('this browser keeps no downloads (no Cache API): nothing to revalidate');
    const results = await revalidateFiles(hubFileUrls(rec.origin, this.hub.hubUrl), {
      cache,
      fetch: this.hub.fetch,
      signal,
    });
    if (results.some((r) => r.outcome === 'updated')) this.loaded.delete(id);
    return results;
  }

  private async downloadCache(): Promise<CacheLike | null> {
    const cache = this.hub.cache;
    if (cache === false) return null;
    if (cache) return cache;
    const storage = (globalThis as { caches?: CacheStorage }).caches;
    return storage ? storage.open(HF_CACHE_NAME) : null;
  }

  private async dropDownloads(origin: string): Promise<void> {
    const cache = await this.downloadCache();
    if (!cache) return;
    const urls = hubFileUrls(origin, this.hub.hubUrl);
    // a sharded download: the index and the shards it lists
    const indexUrl = new URL(SHARD_INDEX, urls[0]).toString();
    const index = await cache.match(indexUrl).catch(() => undefined);
    if (index?.ok) {
      const shards = await index
        .text()
        .then((t) => parseShardIndex(t, indexUrl).shards)
        .catch(() => []);
      urls.push(indexUrl, ...shards.map((n) => new URL(n, urls[0]).toString()));
    }
    const del = (cache as CacheLike & { delete?(url: string): Promise<boolean> }).delete;
    if (del) for (const u of urls) await del.call(cache, u);
  }
}
