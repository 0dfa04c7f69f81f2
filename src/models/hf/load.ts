/**
 * Loads a Hugging Face model folder (config.json, tokenizer.json, tokenizer_config.json,
 * model.safetensors; generation_config.json too for text generation) into an HfEmbedder (or, through
 * loadHfFiles, the files for a generator) from: a local folder (Node), picked File objects (browser), a
 * hub id "org/name" (https://huggingface.co/<id>/resolve/<revision>/<file>) or a base URL. Downloads
 * stream with per-file progress and are kept in the Cache API when there is one, so a second load is offline.
 */
import { HfEmbedder, type HfModelFiles } from './embedder';
import { fetchModel } from './load-hub';
import { GENERATION_CONFIG, HF_FILES, HfLoadError, type HfFileName, type LoadHfOptions } from './load-types';
import { parseShardIndex, SHARD_INDEX, ShardedSource } from './shards';
import { checkFit } from './fit';
import { blobSource, storedBytes, type TensorSource } from './tensor-source';
import { folderSource } from './tensor-source-node';

export {
  GENERATION_CONFIG,
  HF_CACHE_NAME,
  HF_FILES,
  HfLoadError,
  type CacheLike,
  type HfFileName,
  type HfLoadProgress,
  type LoadHfOptions,
} from './load-types';
export { cachedHeaders } from './load-hub';

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

// Variable specifiers keep bundlers from pulling Node's fs into the browser build.
const FS = 'node:fs/promises';
const FS_SYNC = 'node:fs';
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

/**
 * A folder's files: the three JSON files read whole, the weights (model.safetensors, or the shards of
 * model.safetensors.index.json) opened as a TensorSource: headers now, each tensor read at its offset when
 * it is uploaded (no file is held whole in memory, and no 2 GiB file-size limit applies).
 */
async function readFolder(dir: string, opts: LoadHfOptions): Promise<HfModelFiles> {
  const fs = (await import(/* @vite-ignore */ FS)) as Fs;
  const fsSync = (await import(/* @vite-ignore */ FS_SYNC)) as typeof import('node:fs');
  const root = dir.replace(/\/+$/, '');
  const read = async (file: HfFileName): Promise<string> => {
    try {
      const b = await fs.readFile(`${root}/${file}`);
      opts.onProgress?.({ file, loaded: b.byteLength, total: b.byteLength, fromCache: false });
      return new TextDecoder().decode(b);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      throw new HfLoadError(
        `${root}/${file}`,
        code === 'ENOENT' ? 'missing from the model folder' : `cannot be read (${code ?? String(e)})`,
      );
    }
  };
  const [config, tokenizer, tokenizerConfig] = await Promise.all([
    read('config.json'),
    read('tokenizer.json'),
    read('tokenizer_config.json'),
  ]);
  const weights = folderSource(fsSync, root);
  if (!weights)
    throw new HfLoadError(
      `${root}/model.safetensors`,
      `missing from the model folder (and no ${SHARD_INDEX})`,
    );
  const size = storedBytes(weights);
  if (opts.limits) checkFit(config, `${root}/config.json`, opts.limits, opts.weightFormat ?? 'auto', size);
  // opened (headers checked; tensors are read at their offsets on upload), reported as the other loaders do
  opts.onProgress?.({ file: 'model.safetensors', loaded: size, total: size, fromCache: false });
  const gen =
    opts.generation && (await exists(fs, `${root}/${GENERATION_CONFIG}`))
      ? await read(GENERATION_CONFIG)
      : undefined;
  return {
    config,
    tokenizer,
    tokenizerConfig,
    weights,
    source: root,
    ...(gen !== undefined && { generationConfig: gen }),
  };
}

/**
 * Picks the files by name from a folder selection (the shallowest copy of each wins). The weights are
 * model.safetensors or the shards model.safetensors.index.json lists, each opened as a Blob source (read
 * tensor by tensor with Blob.slice).
 */
async function readPickedFiles(list: ArrayLike<File>, opts: LoadHfOptions): Promise<HfModelFiles> {
  const all = Array.from(list);
  const path = (f: File) => (f as File & { webkitRelativePath?: string }).webkitRelativePath || f.name;
  const depth = (f: File) => path(f).split('/').length;
  const find = (name: string): File | undefined =>
    all.filter((f) => f.name === name).sort((a, b) => depth(a) - depth(b))[0];
  const need = `need ${HF_FILES.join(', ')} (or ${SHARD_INDEX} and its shards)`;
  const pick = (name: string, where = ''): File => {
    const f = find(name);
    if (!f)
      throw new HfLoadError(where ? `${where}/${name}` : name, `missing from the selected files (${need})`);
    return f;
  };
  const configFile = pick('config.json');
  const folder = path(configFile).split('/').slice(0, -1).join('/') || 'selected files';
  const read = async (f: File, name: HfFileName): Promise<string> => {
    try {
      const b = await f.arrayBuffer();
      opts.onProgress?.({ file: name, loaded: b.byteLength, total: b.byteLength, fromCache: false });
      return new TextDecoder().decode(b);
    } catch (e) {
      throw new HfLoadError(
        `${folder}/${name}`,
        `cannot be read (${e instanceof Error ? e.message : String(e)})`,
      );
    }
  };
  const [config, tokenizer, tokenizerConfig] = await Promise.all(
    (['config.json', 'tokenizer.json', 'tokenizer_config.json'] as const).map((n) => read(pick(n), n)),
  );
  const weights = await pickedWeights(find, pick, folder, opts);
  const genFile = opts.generation ? find(GENERATION_CONFIG) : undefined;
  const gen = genFile ? await read(genFile, GENERATION_CONFIG) : undefined;
  return {
    config,
    tokenizer,
    tokenizerConfig,
    weights,
    source: folder,
    ...(gen !== undefined && { generationConfig: gen }),
  };
}

async function pickedWeights(
  find: (name: string) => File | undefined,
  pick: (name: string, where?: string) => File,
  folder: string,
  opts: LoadHfOptions,
): Promise<TensorSource> {
  const single = find('model.safetensors');
  const indexFile = single ? undefined : find(SHARD_INDEX);
  if (!indexFile) {
    const f = pick('model.safetensors', folder);
    opts.onProgress?.({ file: 'model.safetensors', loaded: f.size, total: f.size, fromCache: false });
    return blobSource(f, `${folder}/model.safetensors`);
  }
  const index = parseShardIndex(await indexFile.text(), `${folder}/${SHARD_INDEX}`);
  const shards = new Map<string, TensorSource>();
  let loaded = 0;
  for (const name of index.shards) {
    const f = find(name);
    if (!f)
      throw new HfLoadError(
        `${folder}/${name}`,
        `missing from the selected files (listed in ${SHARD_INDEX})`,
      );
    shards.set(name, await blobSource(f, `${folder}/${name}`));
    loaded += f.size;
    opts.onProgress?.({ file: 'model.safetensors', loaded, total: index.totalSize, fromCache: false });
  }
  return new ShardedSource(index, shards);
}
