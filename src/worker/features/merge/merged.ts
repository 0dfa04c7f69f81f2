/**
 * A merge as a model the worker can score and store: the one place that turns a recipe over loaded experts
 * into an embedder and weights. Adapter experts merge into one full adapter (src/experts/merge.ts) scored
 * over the cached base embeddings. LoRA experts are the marked dispatch point below.
 */
import type { ExpertWeights } from '../../../experts/files';
import { checkMergeable, mergeAdapterExperts, mergedAdapterRecord } from '../../../experts/merge';
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
}

async function mergedAdapter(recipe: MergeRecipe, scope: MergeScope, id: string): Promise<MergedModel> {
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
    embedder: { ...inner, templates: first.templates ?? base.templates, embed: inner.embed },
    weights,
    record: (name, rid, createdAt) =>
      mergedAdapterRecord(
        recipe,
        experts.map((e) => e.record),
        name,
        rid,
        createdAt,
      ),
  };
}

/** Merges the scope's experts (in recipe order) by `recipe`; `id` is the embedder's model id. */
export async function mergeExperts(recipe: MergeRecipe, scope: MergeScope, id: string): Promise<MergedModel> {
  checkMergeable(scope.experts.map((e) => e.record));
  const method = scope.experts[0].record.method;
  if (method === 'adapter') return mergedAdapter(recipe, scope, id);
  // ── LoRA merge dispatch point ────────────────────────────────────────────────────────────────────────
  // Plug the LoRA merge in here: mergeLoraExperts(recipe, experts, base) gives an Embedder over the base
  // with the merged deltas folded into its weights (its corpus is re-embedded on each score: the dev pools
  // keep that interactive), plus the weights and record to store. Until then a LoRA merge fails plainly.
  throw new MergeError(
    `merging LoRA experts is not available in the studio yet (experts "${scope.experts
      .map((e) => e.record.name)
      .join('", "')}" are LoRA); for now only adapter experts can be merged here`,
  );
}
