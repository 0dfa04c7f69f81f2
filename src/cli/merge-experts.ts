/**
 * `stm merge` over expert folders: the loaded experts (same base model and method, checked) merged by
 * the recipe into the files of one new expert — a record and its weights, written like a trained expert
 * so `stm eval --model <folder>` evaluates it.
 */
import {
  checkMergeable,
  mergeAdapterExperts,
  mergedAdapterRecord,
  type LoadedExpert,
} from '../experts/merge';
import type { ExpertWeights } from '../experts/files';
import type { ExpertRecord } from '../experts/record';
import type { Backend } from '../core/backend';
import type { MergeRecipe } from '../merge/recipe';
import { MergeError } from '../merge/types';

export interface MergedExpertFiles {
  record: ExpertRecord;
  weights: ExpertWeights;
}

export interface MergedExpertInfo {
  /** the new expert's id (the output folder's name) and name */
  id: string;
  name: string;
  createdAt: string;
  backend?: Backend;
}

/** An adapter's dimension: W is [dim, dim], a low-rank adapter's A is [rank, dim]. */
function adapterDim(e: LoadedExpert): number {
  const t = e.weights.get('adapter.W') ?? e.weights.get('adapter.A');
  if (!t || t.shape.length !== 2)
    throw new MergeError(`expert "${e.record.name}": no adapter.W or adapter.A tensor to merge`);
  return t.shape[1];
}

async function mergeAdapterExpertFiles(
  recipe: MergeRecipe,
  experts: readonly LoadedExpert[],
  info: MergedExpertInfo,
): Promise<MergedExpertFiles> {
  const weights = await mergeAdapterExperts(recipe, experts, adapterDim(experts[0]), info.backend);
  const record = mergedAdapterRecord(
    recipe,
    experts.map((e) => e.record),
    info.name,
    info.id,
    info.createdAt,
  );
  return { record, weights };
}

/**
 * LEAD: LoRA dispatch point. The LoRA merge library (materialise ΔW = (α/r)·B·A per linear, merge layer by
 * layer, fold or re-factor) plugs in here: it takes the loaded LoRA experts and the recipe and returns the
 * merged expert's record and weights. Until it is on main, a LoRA merge fails with this message rather
 * than write anything.
 */
export function mergeLoraExpertFiles(
  recipe: MergeRecipe,
  experts: readonly LoadedExpert[],
  info: MergedExpertInfo,
): Promise<MergedExpertFiles> {
  void info;
  return Promise.reject(
    new MergeError(
      `${recipe.method}: "${experts[0].record.name}" and the other experts are LoRA experts; merging LoRA experts is not available in \`stm merge\` yet (only embedding-space adapter experts merge); nothing was written`,
    ),
  );
}

/** Merges loaded experts by the recipe (experts in recipe order) into one new expert's files. */
export async function mergeExpertFiles(
  recipe: MergeRecipe,
  experts: readonly LoadedExpert[],
  info: MergedExpertInfo,
): Promise<MergedExpertFiles> {
  checkMergeable(experts.map((e) => e.record));
  const method = experts[0].record.method;
  if (method === 'adapter') return mergeAdapterExpertFiles(recipe, experts, info);
  if (method === 'lora') return mergeLoraExpertFiles(recipe, experts, info);
  throw new MergeError(
    `expert "${experts[0].record.name}" has an unknown training method "${String(method)}"`,
  );
}
