/**
 * Merging experts (src/merge does the tensor math): experts must share a base model and a method; adapter
 * experts merge into one full adapter; the merged expert is an ExpertRecord like a trained one (so the
 * studio lists, evaluates and exports it the same way) that keeps its recipe and the union of its experts'
 * training fingerprints (the leakage guard still knows what the merge has seen).
 */
import { mergeAdapters } from '../merge/adapters';
import { checkRecipe, recipeLabel, type MergeRecipe } from '../merge/recipe';
import { MergeError } from '../merge/types';
import type { Backend } from '../core/backend';
import type { ExpertWeights } from './files';
import type { ExpertFingerprints, ExpertRecord } from './record';

export interface LoadedExpert {
  record: ExpertRecord;
  weights: ExpertWeights;
}

/** Throws a MergeError unless every record shares the first one's base model and method. */
export function checkMergeable(records: readonly ExpertRecord[]): void {
  if (records.length === 0) throw new MergeError('no experts to merge; choose at least one');
  const [first] = records;
  for (const r of records.slice(1)) {
    if (r.baseModel !== first.baseModel)
      throw new MergeError(
        `experts "${first.name}" and "${r.name}" have different base models ("${first.baseModel}" and "${r.baseModel}"); only experts of one base model can be merged`,
      );
    if (r.method !== first.method)
      throw new MergeError(
        `experts "${first.name}" (${first.method}) and "${r.name}" (${r.method}) were trained by different methods; merge LoRA experts with LoRA experts and adapters with adapters`,
      );
  }
}

/** The experts a recipe names, in its order, from `pool` (by id); a missing one is an error naming it. */
export function recipeExperts<T extends { record: ExpertRecord }>(
  recipe: MergeRecipe,
  pool: readonly T[],
): T[] {
  return recipe.experts.map((ref) => {
    const e = pool.find((p) => p.record.id === ref.id);
    if (!e)
      throw new MergeError(
        `the recipe's expert "${ref.name}" (${ref.id}) is not loaded; it may have been deleted`,
      );
    return e;
  });
}

/** Merges adapter experts by `recipe` into the weights of one full adapter. */
export async function mergeAdapterExperts(
  recipe: MergeRecipe,
  experts: readonly LoadedExpert[],
  dim: number,
  be?: Backend,
): Promise<ExpertWeights> {
  checkRecipe(recipe);
  checkMergeable(experts.map((e) => e.record));
  if (experts[0].record.method !== 'adapter')
    throw new MergeError(
      `mergeAdapterExperts: "${experts[0].record.name}" is a ${experts[0].record.method} expert`,
    );
  return mergeAdapters(
    recipe,
    experts.map((e) => ({ name: e.record.name, config: e.record.config.adapter, weights: e.weights })),
    dim,
    be,
  );
}

function unionFingerprints(records: readonly ExpertRecord[]): ExpertFingerprints | undefined {
  const fps = records.map((r) => r.fingerprints);
  if (fps.some((f) => !f)) return undefined; // one expert's training data unknown: the merge's is too
  const scheme = fps[0]!.scheme;
  if (fps.some((f) => f!.scheme !== scheme)) return undefined;
  return {
    scheme,
    queries: [...new Set(fps.flatMap((f) => f!.queries))],
    positives: [...new Set(fps.flatMap((f) => f!.positives))],
  };
}

/**
 * The record of a merged adapter expert: a full adapter over the shared base, carrying the recipe.
 * `id` and `createdAt` are the caller's (the store's clock and id scheme).
 */
export function mergedAdapterRecord(
  recipe: MergeRecipe,
  records: readonly ExpertRecord[],
  name: string,
  id: string,
  createdAt: string,
): ExpertRecord {
  checkMergeable(records);
  const first = records[0];
  return {
    id,
    name,
    baseModel: first.baseModel,
    method: 'adapter',
    config: { ...first.config, method: 'adapter', adapter: { ...first.config.adapter, kind: 'full' } },
    data: {
      source: `merge: ${recipeLabel(recipe)}`,
      pairs: records.reduce((s, r) => s + r.data.pairs, 0),
      negatives: 'merged',
    },
    templates: first.templates,
    createdAt,
    history: [],
    fingerprints: unionFingerprints(records),
    merge: recipe,
  };
}
