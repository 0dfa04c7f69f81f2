import { loadEmbedder, listModels } from './registry';
import { nodeAssetFetcher } from './node-assets';
import type { Embedder } from './types';

/** Resolves a CLI --model value in Node: a built-in id (more sources are added by the model engine). */
export async function resolveModelNode(spec: string, _log: (msg: string) => void): Promise<Embedder> {
  if (listModels().some((m) => m.id === spec)) return loadEmbedder(spec, nodeAssetFetcher());
  throw new Error(`unknown model "${spec}" (built-in: ${listModels().map((m) => m.id).join(', ')})`);
}
