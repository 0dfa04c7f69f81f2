/**
 * Model imports: a picked folder (Hugging Face or ONNX export; its files go to IndexedDB) or a hub
 * id / URL (downloaded with per-file progress into the Cache API, a record in IndexedDB). The model is
 * loaded, and so validated, before anything is stored: a bad file stores nothing.
 */
import type { DeviceFitLimits } from '../../../models/hf/fit';
import type { Embedder } from '../../../models/types';
import type { ModelRecord, StudioDB } from '../../../store/db';
import { deleteEmbeddings } from '../../../store/embeddings';
import { saveModelRecord } from '../../../store/models';
import { saveTemplateOverride } from '../../../store/templates';
import { saveWeightFormat } from '../../../store/weight-formats';
import {
  chooseEngine,
  filesFor,
  folderLayout,
  ModelImportError,
  modelIdFrom,
  type ModelEngine,
} from './files';
import { isUrl, loadRecord, type HubOptions, type Loaded } from './manager';
import type { JobPhase } from '../../events';
import type { ModelFile } from './protocol';
import { defaultTemplates } from './templates';

export interface ImportCtx {
  signal: AbortSignal;
  progress(phase: JobPhase, done: number, total: number, detail?: string): void;
}

export interface ImportEnv {
  db: StudioDB;
  hub: HubOptions;
  /** ids of the built-in models (an import may not take one) */
  builtins: readonly string[];
  /** the device a hub model must fit: checked from config.json before its weights download (fit.ts) */
  limits?: DeviceFitLimits;
}

function describe(l: Loaded, engine: ModelEngine, origin: string): string {
  const d = l.details;
  const arch = [
    d.modelType,
    d.layers !== null ? `${d.layers} layers` : null,
    d.hidden !== null ? `hidden ${d.hidden}` : null,
  ]
    .filter(Boolean)
    .join(', ');
  const how = engine === 'native' ? 'studio kernels' : `onnxruntime-web (${d.ep ?? 'wasm'})`;
  return `Imported from ${origin}: ${arch || 'transformer'}; ${d.dim}-d, ${d.pooling} pooling; runs on ${how}.`;
}

async function store(
  env: ImportEnv,
  base: Omit<
    ModelRecord,
    'files' | 'bytes' | 'details' | 'defaults' | 'description' | 'kind' | 'dim' | 'importedAt'
  >,
  l: Loaded,
  files: Map<string, Blob> | null,
  sizes: Map<string, number> | null,
  ctx: ImportCtx,
): Promise<ModelRecord> {
  ctx.signal.throwIfAborted();
  ctx.progress('save', 0, 1);
  const e: Embedder = l.embedder;
  const rec = await saveModelRecord(
    {
      ...base,
      kind: base.engine === 'onnx' ? 'onnx' : 'transformer',
      dim: e.dim,
      importedAt: new Date().toISOString(),
      description: describe(l, base.engine, base.origin),
      details: l.details,
      defaults: defaultTemplates(e),
      ...(sizes ? { files: [...sizes].map(([path, bytes]) => ({ path, bytes, chunks: 0 })) } : {}),
    },
    files,
    env.db,
  );
  // a replaced model may differ: its old vectors and templates no longer apply
  await deleteEmbeddings({ model: rec.id }, env.db);
  await saveTemplateOverride(rec.id, null, env.db);
  await saveWeightFormat(rec.id, 'auto', env.db);
  ctx.progress('save', 1, 1);
  return rec;
}

function freeId(name: string, env: ImportEnv): string {
  const id = modelIdFrom(name);
  return env.builtins.includes(id) ? `${id}-imported` : id;
}

/** Imports picked files (paths relative to the picked folder's parent, as webkitRelativePath gives them). */
export async function importFolder(
  picked: readonly ModelFile[],
  opts: { engine?: ModelEngine; name?: string },
  env: ImportEnv,
  ctx: ImportCtx,
): Promise<{ rec: ModelRecord; loaded: Loaded }> {
  const layout = folderLayout(picked.map((f) => f.path));
  const engine = chooseEngine(layout, opts.engine);
  const root = layout.root || opts.name || 'model';
  const wanted = filesFor(layout, engine);
  const total = wanted.reduce((n, p) => n + picked[layout.files.get(p) as number].file.size, 0);
  // the picked files themselves (disk-backed Blobs): the loader reads tensor by tensor and the store keeps
  // slices, so no whole file is held in memory; one byte of each is read here so an unreadable file
  // (moved, permissions) is named before anything is loaded
  const files = new Map<string, Blob>();
  let done = 0;
  for (const path of wanted) {
    ctx.signal.throwIfAborted();
    ctx.progress('read', done, total, `${root}/${path}`);
    const f = picked[layout.files.get(path) as number].file;
    try {
      await f.slice(0, 1).arrayBuffer();
      files.set(path, f);
    } catch (e) {
      throw new ModelImportError(
        `${root}/${path}`,
        `cannot be read (${e instanceof Error ? e.message : String(e)})`,
      );
    }
    done += f.size;
  }
  ctx.progress('read', total, total);
  ctx.progress('load-model', 0, 1, root);
  const id = freeId(opts.name || root, env);
  const base = { id, name: opts.name || root, source: 'folder' as const, origin: root, engine };
  const loaded = await loadRecord(base, files, env.hub, ctx.signal);
  ctx.progress('load-model', 1, 1, root);
  return { rec: await store(env, base, loaded, files, null, ctx), loaded };
}

/** Downloads a hub model ("org/name" or an http(s) base URL) with per-file progress (detail: the file name). */
export async function importHub(
  source: string,
  opts: { name?: string },
  env: ImportEnv,
  ctx: ImportCtx,
): Promise<{ rec: ModelRecord; loaded: Loaded }> {
  const src = source.trim();
  const name =
    opts.name || (isUrl(src) ? (new URL(src).pathname.split('/').filter(Boolean).pop() ?? src) : src);
  const id = isUrl(src) && !opts.name ? freeId(src.replace(/^https?:\/\//i, ''), env) : freeId(name, env);
  const base = { id, name, source: 'hub' as const, origin: src, engine: 'native' as const };
  const sizes = new Map<string, number>();
  const loaded = await loadRecord(
    base,
    null,
    env.hub,
    ctx.signal,
    (file, bytes, total) => {
      sizes.set(file, bytes);
      ctx.progress('download', bytes, total ?? 0, file);
    },
    env.limits,
  );
  return { rec: await store(env, base, loaded, null, sizes, ctx), loaded };
}
