/**
 * What a weight search over adapter or LoRA experts needs around the pure search (src/merge/search): the dev pools
 * (each a task: judged docs ∪ the base's and every expert's top-k), the reference figures of the base and
 * each expert on them, and the scorer of a recipe (merge the adapters, score the merged expert on every
 * pool). Shared by `stm merge-search` and the worker's merge-search feature.
 */
import type { Backend } from '../core/backend';
import type { Dataset } from '../data/types';
import { buildDevPool, scoreOnPool, type DevPool } from '../eval/dev-pool';
import type { Embedder } from '../models/types';
import type { MergeRecipe } from '../merge/recipe';
import type { TaskScores } from '../merge/search/search';
import { MergeError } from '../merge/types';
import { loadMergedLora } from '../train/lora-merged';
import { weightsToDeltas } from '../train/lora-deltas';
import { expertEmbedder, isLoraBase } from './embedder';
import type { ExpertWeights } from './files';
import {
  checkMergeable,
  mergeAdapterExperts,
  mergedExpertRecord,
  mergeLoraExperts,
  type LoadedExpert,
} from './merge';
import type { ExpertRecord } from './record';

export interface DevTask {
  label: string;
  dataset: Dataset;
  split: string;
}

export interface SearchSession {
  pools: DevPool[];
  /** the base's and each expert's nDCG@10 per pool */
  reference: { model: string; scores: TaskScores }[];
  /** nDCG@10 of the recipe's merge on every pool */
  score(recipe: MergeRecipe, signal?: AbortSignal): Promise<TaskScores>;
  /** the recipe's merge as an expert (weights, record, embedder) */
  merged(
    recipe: MergeRecipe,
    name: string,
    id: string,
    createdAt: string,
  ): Promise<{ weights: ExpertWeights; record: ExpertRecord; embedder: Embedder; release?: () => void }>;
}

/** Throws unless the experts can be searched over: one base, one method. */
export function checkSearchable(loaded: readonly LoadedExpert[]): void {
  checkMergeable(loaded.map((e) => e.record));
  const first = loaded[0].record;
  if (first.method !== 'adapter' && first.method !== 'lora')
    throw new MergeError(`"${first.name}" has an unknown training method "${String(first.method)}"`);
}

export async function searchSession(opts: {
  loaded: readonly LoadedExpert[];
  /** the experts' names as the reference rows show them */
  names: readonly string[];
  /** the base model (through the base-embedding cache, so every merge re-uses its vectors) */
  base: Embedder;
  /** the base model itself (LoRA experts run through its linears; default `base`) */
  native?: Embedder;
  backend: Backend;
  tasks: readonly DevTask[];
  poolK: number;
  signal?: AbortSignal;
  onPool?: (task: string, model: number, models: number) => void;
  onPoolBuilt?: (pool: DevPool) => void;
}): Promise<SearchSession> {
  const { loaded, base, backend: be, signal } = opts;
  checkSearchable(loaded);
  const lora = loaded[0].record.method === 'lora';
  const model = lora ? (opts.native ?? base) : base;
  if (lora && !isLoraBase(model))
    throw new MergeError(
      `LoRA experts "${loaded[0].record.name}", …: their base "${model.id}" is not a model LoRA runs on`,
    );
  const experts = loaded.map((e, i) => expertEmbedder(model, e.record, e.weights, opts.names[i]));
  const pools: DevPool[] = [];
  for (const t of opts.tasks) {
    const pool = await buildDevPool({
      dataset: t.dataset,
      split: t.split,
      embedders: [base, ...experts],
      backend: be,
      k: opts.poolK,
      signal,
      onProgress: (m, n) => opts.onPool?.(t.label, m, n),
    });
    pool.label = t.label;
    pools.push(pool);
    opts.onPoolBuilt?.(pool);
  }
  const scoreOn = async (e: Embedder, sig?: AbortSignal): Promise<TaskScores> => {
    const s: TaskScores = {};
    for (const p of pools) s[p.label] = (await scoreOnPool(p, e, be, sig)).metrics['ndcg@10'];
    return s;
  };
  const reference: SearchSession['reference'] = [];
  const baseName = `${loaded[0].record.baseModel} (base)`;
  for (const [i, e] of [base, ...experts].entries())
    reference.push({ model: i === 0 ? baseName : opts.names[i - 1], scores: await scoreOn(e, signal) });
  const merged: SearchSession['merged'] = async (recipe, name, id, createdAt) => {
    const records = loaded.map((e) => e.record);
    if (lora && isLoraBase(model)) {
      // ΔW per linear merged module by module and folded into the base's weights (the pool is re-embedded)
      const weights = await mergeLoraExperts(recipe, loaded, model, be);
      const record = mergedExpertRecord(recipe, records, name, id, createdAt);
      const folded = loadMergedLora(model, weightsToDeltas(weights, model.linears), id);
      return { weights, record, embedder: folded, release: () => folded.release() };
    }
    const weights = await mergeAdapterExperts(recipe, loaded, base.dim, be);
    const record = mergedExpertRecord(recipe, records, name, id, createdAt);
    return { weights, record, embedder: expertEmbedder(base, record, weights, id) };
  };
  const score = async (recipe: MergeRecipe, sig?: AbortSignal): Promise<TaskScores> => {
    const m = await merged(recipe, 'trial', 'trial', '');
    try {
      return await scoreOn(m.embedder, sig);
    } finally {
      m.release?.();
    }
  };
  return {
    pools,
    reference,
    merged,
    score,
  };
}
