import { GloveEmbedder, type AssetFetcher } from './glove';
import type { Embedder, ModelInfo } from './types';

export type { AssetFetcher } from './glove';

const MODELS: readonly ModelInfo[] = [
  {
    id: 'glove',
    name: 'GloVe 6B 100d',
    kind: 'static',
    dim: 100,
    description:
      'Static word vectors (GloVe 6B, 200k most frequent words, int8) with SIF-weighted mean pooling; embedded, no network.',
  },
];

export function listModels(): readonly ModelInfo[] {
  return MODELS;
}

const loaded = new Map<string, Promise<Embedder>>();

/** Loads (once per fetcher) the embedder for a model id. */
export function loadEmbedder(id: string, fetchAsset: AssetFetcher): Promise<Embedder> {
  const info = MODELS.find((m) => m.id === id);
  if (!info) throw new Error(`unknown model "${id}" (known: ${MODELS.map((m) => m.id).join(', ')})`);
  let p = loaded.get(id);
  if (!p) {
    p = GloveEmbedder.load(fetchAsset);
    p.catch(() => loaded.delete(id));
    loaded.set(id, p);
  }
  return p;
}

/** Fetches model files over HTTP(S) relative to the app's base URL (".../models/<path>"). */
export function httpAssetFetcher(baseUrl: string): AssetFetcher {
  return async (path) => {
    const url = new URL(`models/${path}`, baseUrl);
    const res = await fetch(url);
    if (!res.ok) throw new Error(`${url.pathname}: HTTP ${res.status} ${res.statusText}`);
    return res.arrayBuffer();
  };
}
