/**
 * Real parts for prompt-search tests: the demo collection (real passages and queries) with its judged
 * queries dealt into disjoint dev and test splits, and the tiny generated Qwen3 decoder (an instruction-
 * aware embedder: its query template carries an instruction) on the CPU backend.
 */
import { join } from 'node:path';
import { TINY_MODELS_DIR } from '../../scripts/make-tiny-models';
import { loadDemoDatasetNode } from '../data/node';
import { splitQueries } from '../data/split';
import type { Dataset } from '../data/types';
import { loadHfModel } from '../models/hf/load';
import type { Embedder } from '../models/types';

export const TINY_QWEN3 = join(TINY_MODELS_DIR, 'tiny-qwen3');

/** The demo set with "dev" and "test" (half of its judged queries each, seeded) instead of its one split. */
export async function demoDevTest(seed = 7): Promise<Dataset> {
  const ds = await loadDemoDatasetNode();
  const sp = splitQueries(
    ds,
    'test',
    [
      { name: 'dev', fraction: 0.5 },
      { name: 'test', fraction: 0.5 },
    ],
    seed,
  );
  return { ...ds, qrels: sp.splits };
}

export function tinyQwen3(): Promise<Embedder> {
  return loadHfModel(TINY_QWEN3);
}

/** The embedder with every text it is asked to embed recorded (role and text). */
export function recording(e: Embedder): { embedder: Embedder; seen: { role: string; text: string }[] } {
  const seen: { role: string; text: string }[] = [];
  const embedder: Embedder = {
    id: e.id,
    dim: e.dim,
    templates: e.templates,
    ...(e.prompt ? { prompt: e.prompt } : {}),
    embed: (b, texts, role) => {
      for (const text of texts) seen.push({ role, text });
      return e.embed(b, texts, role);
    },
  };
  return { embedder, seen };
}
