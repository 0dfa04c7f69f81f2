/**
 * What a picked model folder holds: its root name, and whether it is a Hugging Face folder (the studio's
 * kernels on safetensors), an ONNX export (onnxruntime-web), or both. Pure: the UI uses it to offer the
 * engine choice, the worker to pick the files it stores.
 */

export type ModelEngine = 'native' | 'onnx';

export const NATIVE_FILES = [
  'config.json',
  'model.safetensors',
  'tokenizer.json',
  'tokenizer_config.json',
] as const;
export const ONNX_FILES = ['onnx/model.onnx', 'tokenizer.json', 'tokenizer_config.json'] as const;
/** a sharded Hugging Face checkpoint: the index instead of model.safetensors, and the folder's shards */
export const SHARDED_NATIVE_FILES = [
  'config.json',
  'model.safetensors.index.json',
  'tokenizer.json',
  'tokenizer_config.json',
] as const;
const SHARD = /^[\w.-]+\.safetensors$/;

/** An import that cannot go ahead; `file` names the missing or unreadable file. */
export class ModelImportError extends Error {
  constructor(
    readonly file: string,
    detail: string,
  ) {
    super(`${file}: ${detail}`);
    this.name = 'ModelImportError';
  }
}

export interface FolderLayout {
  /** the picked folder's name ('' when files were picked without one) */
  root: string;
  /** path relative to the root -> index in the picked list */
  files: Map<string, number>;
  engines: ModelEngine[];
}

/** Splits "tiny-bert/onnx/model.onnx" style paths into a common root folder and relative paths. */
export function folderLayout(paths: readonly string[]): FolderLayout {
  const parts = paths.map((p) => p.replace(/\\/g, '/').replace(/^\/+/, '').split('/'));
  const first = parts[0]?.[0] ?? '';
  const rooted = parts.length > 0 && parts.every((p) => p.length > 1 && p[0] === first);
  const files = new Map<string, number>();
  parts.forEach((p, i) => {
    const rel = (rooted ? p.slice(1) : p).join('/');
    if (!files.has(rel)) files.set(rel, i);
  });
  const has = (list: readonly string[]) => list.every((f) => files.has(f));
  const engines: ModelEngine[] = [];
  if (has(NATIVE_FILES) || has(SHARDED_NATIVE_FILES)) engines.push('native');
  if (has(ONNX_FILES)) engines.push('onnx');
  return { root: rooted ? first : '', files, engines };
}

/** The files to keep for an engine (config.json rides along with ONNX when present: it names the architecture). */
export function filesFor(layout: FolderLayout, engine: ModelEngine): string[] {
  if (engine === 'native') {
    if (layout.files.has('model.safetensors')) return [...NATIVE_FILES];
    // sharded: the index and every .safetensors file beside it (the loader checks them against the index)
    return [...SHARDED_NATIVE_FILES, ...[...layout.files.keys()].filter((f) => SHARD.test(f))];
  }
  return [...ONNX_FILES, ...(layout.files.has('config.json') ? ['config.json'] : [])];
}

/** The engine to use, or a ModelImportError naming the first missing file. */
export function chooseEngine(layout: FolderLayout, wanted?: ModelEngine): ModelEngine {
  const label = layout.root || 'selected files';
  const missing = (list: readonly string[]) => list.filter((f) => !layout.files.has(f));
  if (wanted) {
    if (layout.engines.includes(wanted)) return wanted;
    const m = missing(wanted === 'native' ? NATIVE_FILES : ONNX_FILES);
    throw new ModelImportError(
      `${label}/${m[0]}`,
      `missing: the ${wanted === 'native' ? 'Hugging Face (native)' : 'ONNX'} engine needs ${m.join(', ')}`,
    );
  }
  if (layout.engines.length) return layout.engines[0];
  const mn = missing(NATIVE_FILES);
  const mo = missing(ONNX_FILES);
  const m = mo.length < mn.length ? mo : mn;
  throw new ModelImportError(
    `${label}/${m[0]}`,
    `missing from the folder (a Hugging Face model needs ${NATIVE_FILES.join(', ')} (or model.safetensors.index.json and its shards); an ONNX export needs ${ONNX_FILES.join(', ')})`,
  );
}

/** A model id from a name: letters, digits, '.', '_' and '-' ('|' would break cache keys). */
export function modelIdFrom(name: string): string {
  const id = name
    .trim()
    .replace(/[^\w./:@-]+/g, '-')
    .replace(/^-+|-+$/g, '');
  return id || 'model';
}
