/**
 * The worker's text generators: one loaded at a time (a chat model is large), kept between requests and
 * replaced when another model (or chat template) is asked for. A model is an imported folder (its files in
 * IndexedDB), a downloaded hub model (its record's origin) or a hub id / URL (downloads kept in the Cache
 * API); in Node also a folder path.
 */
import type { HfLoadProgress, HfSource } from '../../../models/hf/load';
import { getModelRecord, readModelFiles } from '../../../store/models';
import type { StudioDB } from '../../../store/db';
import { loadLocalGenerator, type LocalGenerator } from '../../../synth/local-generator';
import type { HubOptions } from '../models/manager';
import type { Host } from '../../host';

export class Generators {
  private current: { key: string; gen: Promise<LocalGenerator> } | null = null;

  constructor(private readonly hub: HubOptions) {}

  /** The generator for `model` (loaded now unless it is the current one). */
  get(
    model: string,
    db: StudioDB,
    opts: { chatTemplate?: string; signal?: AbortSignal; onProgress?: (p: HfLoadProgress) => void },
  ): Promise<LocalGenerator> {
    const key = `${model}\u0000${opts.chatTemplate ?? ''}`;
    if (this.current?.key === key) return this.current.gen;
    this.drop();
    const gen = this.load(model, db, opts);
    const entry = { key, gen };
    this.current = entry;
    gen.catch(() => {
      if (this.current === entry) this.current = null;
    });
    return gen;
  }

  private async load(
    model: string,
    db: StudioDB,
    opts: { chatTemplate?: string; signal?: AbortSignal; onProgress?: (p: HfLoadProgress) => void },
  ): Promise<LocalGenerator> {
    const rec = await getModelRecord(model, db).catch(() => null);
    let source: HfSource = model;
    if (rec?.source === 'folder') {
      const files = await readModelFiles(model, db);
      source = [...files].map(([path, b]) => {
        const f = new File([b], path.split('/').pop() as string);
        Object.defineProperty(f, 'webkitRelativePath', { value: `${rec.origin}/${path}` });
        return f;
      });
    } else if (rec?.source === 'hub') source = rec.origin;
    return loadLocalGenerator(source, {
      id: model,
      chatTemplate: opts.chatTemplate,
      fetch: this.hub.fetch,
      cache: this.hub.cache,
      hubUrl: this.hub.hubUrl,
      signal: opts.signal,
      onProgress: opts.onProgress,
    });
  }

  /** Releases the loaded generator's weights. */
  drop(): void {
    const old = this.current;
    this.current = null;
    void old?.gen.then((g) => g.release()).catch(() => undefined);
  }
}

// one per engine (Host): the feature table holds plain objects, the loaded model lives with its host
const perHost = new WeakMap<Host, Generators>();

/** The engine's generators (the generate feature's and the synthesize feature's: one model loaded). */
export function generatorsOf(host: Host): Generators {
  let g = perHost.get(host);
  if (!g) perHost.set(host, (g = new Generators(host.deps.hub ?? {})));
  return g;
}
