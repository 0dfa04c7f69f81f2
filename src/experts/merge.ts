/**
 * Merging experts (src/merge does the tensor math): experts must share a base model and a method; adapter
 * experts merge into one full adapter; the merged expert is an ExpertRecord like a trained one (so the
 * studio lists, evaluates and exports it the same way) that keeps its recipe and the union of its experts'
 * training fingerprints (the leakage guard still knows what the merge has seen).
 *
 * LoRA experts merge module by module (src/merge/lora-merge.ts) into one dense ΔW per linear; the merged
 * expert is a 'lora' record with `merge` set whose weights are those deltas (src/train/lora-deltas.ts
 * names; files.ts keeps them in merged_delta.safetensors; expertEmbedder folds them into the base).
 * LoRA out (item 5): loraOutExpert turns a merged LoRA expert into a PEFT LoRA by truncated SVD
 * (src/merge/lora-extract.ts); expertFiles then writes adapter_model.safetensors + adapter_config.json.
 * Exports: checkMergeable, recipeExperts, mergeAdapterExperts, mergedExpertRecord, mergeLoraExperts,
 * mergedExpertRecord, loraOutExpert, mergedLoraCheckpoint.
 */
import { mergeAdapters } from '../merge/adapters';
import { extractLora, type LoraOutModule, type LoraOutOptions } from '../merge/lora-extract';
import { foldCheckpoint } from '../merge/checkpoints';
import { mergeLora, type LoraMergeModel } from '../merge/lora-merge';
import type { TensorSource } from '../models/hf/tensor-source';
import { deltasToWeights, isDeltaWeights, weightsToDeltas } from '../train/lora-deltas';
import { checkRecipe, recipeLabel, type MergeRecipe } from '../merge/recipe';
import { MergeError } from '../merge/types';
import type { Backend } from '../core/backend';
import type { ExpertWeights } from './files';
import type { ExpertFingerprints, ExpertRecord } from './record';
import { PROMPT_FORMAT, type PromptPolicy } from '../prompts/policy';

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
 * The record of a merged expert, carrying the recipe; `id` and `createdAt` are the caller's (the store's
 * clock and id scheme). Adapters merge into a full adapter over the shared base; a LoRA merge's weights are
 * the merged per-module ΔW (mergeLoraExperts), not A/B pairs, so its config.lora is the first expert's, for
 * reference.
 */
export function mergedExpertRecord(
  recipe: MergeRecipe,
  records: readonly ExpertRecord[],
  name: string,
  id: string,
  createdAt: string,
): ExpertRecord {
  checkMergeable(records);
  const first = records[0];
  const config: ExpertRecord['config'] =
    first.method === 'adapter'
      ? { ...first.config, method: 'adapter', adapter: { ...first.config.adapter, kind: 'full' } }
      : { ...first.config, method: 'lora' };
  const prompts = mergedPolicy(recipe, first);
  return {
    id,
    name,
    baseModel: first.baseModel,
    method: config.method,
    config,
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
    ...(prompts ? { prompts } : {}),
  };
}

/**
 * Merges LoRA experts by `recipe` over their base model (a USE-lite or HfEmbedder: its linears and host
 * weights), module by module, into the weights of the merged expert (one ΔW per merged linear).
 */
export async function mergeLoraExperts(
  recipe: MergeRecipe,
  experts: readonly LoadedExpert[],
  base: LoraMergeModel,
  be?: Backend,
): Promise<ExpertWeights> {
  checkRecipe(recipe);
  checkMergeable(experts.map((e) => e.record));
  if (experts[0].record.method !== 'lora')
    throw new MergeError(
      `mergeLoraExperts: "${experts[0].record.name}" is an ${experts[0].record.method} expert`,
    );
  const merged = experts.find((e) => isDeltaWeights(e.weights));
  if (merged)
    throw new MergeError(
      `mergeLoraExperts: "${merged.record.name}" is itself a merge (dense deltas, not LoRA A/B); merge its experts again with one recipe, or export it as a LoRA first`,
    );
  const deltas = await mergeLora(
    recipe,
    experts.map((e) => ({ name: e.record.name, config: e.record.config.lora, weights: e.weights })),
    base,
    { be },
  );
  return deltasToWeights(deltas, base.linears);
}

/**
 * The merged expert's prompt policy: the recipe's instruction (fixed, in the first expert's format), none
 * when it is null, else the first expert's policy (so its default instruction) as it is.
 */
export function mergedPolicy(recipe: MergeRecipe, first: ExpertRecord): PromptPolicy | undefined {
  if (recipe.instruction === null) return undefined;
  if (recipe.instruction === undefined) return first.prompts;
  const format = first.prompts?.format ?? PROMPT_FORMAT;
  return { kind: 'fixed', format, instructions: [recipe.instruction.trim()] };
}

/**
 * A merged LoRA expert (dense ΔW per module) as a LoRA again: truncated SVD of each ΔW at a fixed rank or by
 * a singular-value threshold. The record keeps the merge recipe and says the rank in config.lora (so
 * expertFiles writes PEFT files with that r); `modules` reports each module's kept rank and energy.
 */
export function loraOutExpert(
  merged: LoadedExpert,
  base: LoraMergeModel,
  opts: LoraOutOptions,
  onModule?: (m: LoraOutModule, index: number, total: number) => void,
): { record: ExpertRecord; weights: ExpertWeights; modules: LoraOutModule[] } {
  const { record } = merged;
  if (record.method !== 'lora' || !isDeltaWeights(merged.weights))
    throw new MergeError(
      `LoRA out: "${record.name}" is not a merged LoRA expert (its weights are not per-module merged deltas)`,
    );
  const deltas = weightsToDeltas(merged.weights, base.linears, `expert "${record.name}"`);
  const out = extractLora(deltas, base.linears, opts, onModule);
  const how = opts.rank !== undefined ? `rank ${opts.rank}` : `σ > ${opts.threshold}`;
  return {
    record: {
      ...record,
      config: { ...record.config, method: 'lora', lora: out.config },
      data: { ...record.data, source: `${record.data.source} · LoRA out (${how}, r ${out.config.rank})` },
    },
    weights: out.weights,
    modules: out.modules,
  };
}

/**
 * A merged LoRA expert as a full model in the base's own layout (Hugging Face models: their
 * model.safetensors with W + ΔW at every merged linear, every other tensor copied); `write` gets the file.
 */
export async function mergedLoraCheckpoint(
  merged: LoadedExpert,
  base: LoraMergeModel & { readonly weightFile: { src: TensorSource; prefix: string } },
  write: (chunk: Uint8Array) => void | Promise<void>,
): Promise<{ tensors: number; folded: number; bytes: number }> {
  const { record } = merged;
  if (record.method !== 'lora' || !isDeltaWeights(merged.weights))
    throw new MergeError(`full export: "${record.name}" is not a merged LoRA expert`);
  const deltas = weightsToDeltas(merged.weights, base.linears, `expert "${record.name}"`);
  const { src, prefix } = base.weightFile;
  return foldCheckpoint(src, prefix, deltas, write, {
    format: 'pt',
    merged_from: record.merge ? recipeLabel(record.merge) : record.name,
  });
}
