/**
 * `stm eval`'s corpus embedding cache on disk (src/eval/embed-cache-dir.ts): where it lives, whether a model
 * may use it, and the line saying what it saved.
 */
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { Dataset } from '../data/types';
import { CorpusEmbeddingCache } from '../eval/embed-cache-dir';
import type { Embedder } from '../models/types';
import type { EvalArgs } from './eval-args';

/** $STM_CACHE_DIR, else $XDG_CACHE_HOME/stm/embeddings, else ~/.cache/stm/embeddings. */
export function defaultCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.STM_CACHE_DIR) return env.STM_CACHE_DIR;
  return join(env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'stm', 'embeddings');
}

/**
 * The disk cache for evaluating `embedder` on `dataset`, or null: --no-cache, or a LoRA expert (its id does
 * not change when its folder is retrained, so its vectors are not kept; an adapter expert reads its base's).
 */
export function corpusCache(
  a: EvalArgs,
  dataset: Dataset,
  embedder: Embedder,
  log: (m: string) => void,
): CorpusEmbeddingCache | null {
  if (a.cacheDir === null) return null;
  const viaBase = embedder.overBase?.base.templates.passage === embedder.templates.passage;
  if (embedder.trainedQueries !== undefined && !viaBase) {
    log(`embedding cache: not used for ${embedder.id} (an expert's weights are not part of its id)`);
    return null;
  }
  return new CorpusEmbeddingCache(a.cacheDir ?? defaultCacheDir(), dataset, (m) => log(`warning: ${m}`));
}

/** Writes what was embedded and says how many corpus chunks were reused and embedded. */
export async function closeCorpusCache(
  cache: CorpusEmbeddingCache | null,
  log: (m: string) => void,
): Promise<void> {
  if (!cache) return;
  try {
    await cache.flush();
  } catch (e) {
    log(`warning: embedding cache not written (${(e as Error).message}); the next evaluation embeds again`);
  }
  const { reused, embedded } = cache.counts();
  log(`embedding cache ${cache.root}: ${reused} corpus chunks reused, ${embedded} embedded`);
}
