import { GloveEmbedder, type AssetFetcher } from './glove';
import { loadUseLite, USE_LITE_INFO } from './use-lite/model';
import type { Embedder, ModelInfo } from './types';
import { versionedModelPath } from './versions';

export type { AssetFetcher } from './glove';

/** The studio's default base model: USE-lite on the project's kernels. */
export const DEFAULT_MODEL = USE_LITE_INFO.id;

const GLOVE_INFO: ModelInfo = {
  id: 'glove',
  name: 'GloVe 6B 100d',
  kind: 'static',
  dim: 100,
  description:
    'Static word vectors (GloVe 6B, 200k most frequent words, int8) with SIF-weighted mean pooling; embedded, no network.',
};

const BUILTIN: readonly { info: ModelInfo; load: (f: AssetFetcher) => Promise<Embedder> }[] = [
  { info: USE_LITE_INFO, load: loadUseLite },
  { info: GLOVE_INFO, load: (f) => GloveEmbedder.load(f) },
];

/** Built-in models, the default first. */
export function listModels(): readonly ModelInfo[] {
  return BUILTIN.map((m) => m.info);
}

export function isBuiltinModel(id: string): boolean {
  return BUILTIN.some((m) => m.info.id === id);
}

const loaded = new Map<string, Promise<Embedder>>();

/** Loads a built-in model once (its files come from the app's models folder through fetchAsset). */
export function loadEmbedder(id: string, fetchAsset: AssetFetcher): Promise<Embedder> {
  const entry = BUILTIN.find((m) => m.info.id === id);
  if (!entry)
    throw new Error(
      `unknown model "${id}" (built-in: ${listModels()
        .map((m) => m.id)
        .join(', ')})`,
    );
  let p = loaded.get(id);
  if (!p) {
    p = entry.load(fetchAsset);
    p.catch(() => loaded.delete(id));
    loaded.set(id, p);
  }
  return p;
}

/** Fetches model files over HTTP(S) relative to the app's base URL (".../models/<path>"). */
export function httpAssetFetcher(baseUrl: string): AssetFetcher {
  return async (path) => {
    const url = new URL(versionedModelPath(path), baseUrl);
    const res = await fetch(url);
    if (!res.ok)
      throw new Error(
        `${url.pathname}: HTTP ${res.status} ${res.statusText}${res.status === 409 ? ` (${await res.text()})` : ''}`,
      );
    return res.arrayBuffer();
  };
}
