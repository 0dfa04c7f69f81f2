/**
 * A merge as a model the worker can score and store: the one place that turns a recipe over loaded experts
 * into an embedder and weights. Adapter experts merge into one full adapter (src/experts/merge.ts) scored
 * over the cached base embeddings; LoRA experts merge per linear and fold into the base's weights.
 */
import type { ExpertWeights } from '../../../experts/files';
import { isLoraBase, withExpertPrompts } from '../../../experts/embedder';
import {
  checkMergeable,
  mergeAdapterExperts,
  mergedExpertRecord,
  mergeLoraExperts,
  mergedPolicy,
} from '../../../experts/merge';
import { loadMergedLora } from '../../../train/lora-merged';
import { weightsToDeltas } from '../../../train/lora-deltas';
import type { ExpertRecord } from '../../../experts/record';
import type { MergeRecipe } from '../../../merge/recipe';
import { MergeError } from '../../../merge/types';
import type { Embedder } from '../../../models/types';
import { adapterEmbedder } from '../../../train/adapter';
import type { MergeScope } from './workspace';

export interface MergedModel {
  embedder: Embedder;
  weights: ExpertWeights;
  /** the record it is stored under (with the recipe) */
  record(name: string, id: string, createdAt: string): ExpertRecord;
  /** frees what the merged model holds on the backends (a LoRA merge's folded weights) */
  release?(): void;
}

type MergedWeights = Omit<MergedModel, 'record'>;

/** The merged model's queries under the policy its record will have (the recipe's instruction, else the first expert's). */
function underMergedPrompts(e: Embedder, recipe: MergeRecipe, scope: MergeScope): Embedder {
  const first = scope.experts[0].record;
  const prompts = mergedPolicy(recipe, first);
  const { prompts: _own, ...rest } = first;
  return withExpertPrompts(e, scope.base, prompts ? { ...rest, prompts } : rest);
}

async function mergedAdapter(recipe: MergeRecipe, scope: MergeScope, id: string): Promise<MergedWeights> {
  const { base, experts, backend, cache } = scope;
  const weights = await mergeAdapterExperts(recipe, experts, base.dim, backend);
  const first = experts[0].record;
  const inner = adapterEmbedder(
    base,
    { ...first.config.adapter, kind: 'full' },
    { host: weights },
    id,
    cache,
  );
  return {
    embedder: underMergedPrompts(
      { ...inner, templates: first.templates ?? base.templates, embed: inner.embed },
      recipe,
      scope,
    ),
    weights,
  };
}

/**
 * LoRA experts: ΔW per linear merged module by module (mergeLoraExperts), folded into the base's weights;
 * the pool's documents are re-embedded by the folded model on each score. `release` frees the folded
 * weights (each slider move makes a new model).
 */
async function mergedLora(recipe: MergeRecipe, scope: MergeScope, id: string): Promise<MergedWeights> {
  const { base, experts, backend } = scope;
  if (!isLoraBase(base))
    throw new MergeError(
      `LoRA experts "${experts.map((e) => e.record.name).join('", "')}": their base "${base.id}" is not a model LoRA runs on`,
    );
  const weights = await mergeLoraExperts(recipe, experts, base, backend);
  const first = experts[0].record;
  const inner = loadMergedLora(base, weightsToDeltas(weights, base.linears), id);
  return {
    embedder: underMergedPrompts(
      { id, dim: inner.dim, templates: first.templates ?? base.templates, embed: inner.embed },
      recipe,
      scope,
    ),
    weights,
    release: () => inner.release(),
  };
}

/** Merges the scope's experts (in recipe order) by `recipe`; `id` is the embedder's model id. */
export async function mergeExperts(recipe: MergeRecipe, scope: MergeScope, id: string): Promise<MergedModel> {
  checkMergeable(scope.experts.map((e) => e.record));
  const records = scope.experts.map((e) => e.record);
  const merged =
    records[0].method === 'adapter'
      ? await mergedAdapter(recipe, scope, id)
      : await mergedLora(recipe, scope, id);
  return {
    ...merged,
    record: (name, rid, createdAt) => mergedExpertRecord(recipe, records, name, rid, createdAt),
  };
}
