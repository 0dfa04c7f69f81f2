/**
 * `stm merge` over expert folders: the loaded experts (same base model and method, checked) merged by
 * the recipe into the files of one new expert — a record and its weights, written like a trained expert
 * so `stm eval --model <folder>` evaluates it.
 */
import {
  checkMergeable,
  mergeAdapterExperts,
  mergedExpertRecord,
  mergeLoraExperts,
  type LoadedExpert,
} from '../experts/merge';
import { isLoraBase } from '../experts/embedder';
import type { Embedder } from '../models/types';
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
  /** loads the experts' base model (LoRA merges read its linears and weights) */
  loadBase?: () => Promise<Embedder>;
}

/** An adapter's dimension: W is [dim, dim], a low-rank adapter's A is [rank, dim]. */
function adapterDim(e: LoadedExpert): number {
  const t = e.weights.get('adapter.W') ?? e.weights.get('adapter.A');
  if (!t || t.shape.length !== 2)
    throw new MergeError(`expert "${e.record.name}": no adapter.W or adapter.A tensor to merge`);
  return t.shape[1];
}

/**
 * LoRA experts: each linear's ΔW = (α/r)·B·A materialised and merged module by module over the base model
 * (loaded by `info.loadBase`: its linears, and its weights for the methods that read θ), saved as the
 * merged per-module ΔW (merged_delta.safetensors) that expertEmbedder folds into the base's weights.
 */
async function mergeLoraWeights(
  recipe: MergeRecipe,
  experts: readonly LoadedExpert[],
  info: MergedExpertInfo,
): Promise<ExpertWeights> {
  if (!info.loadBase)
    throw new MergeError(`${recipe.method}: merging LoRA experts needs their base model loaded`);
  const base = await info.loadBase();
  if (!isLoraBase(base))
    throw new MergeError(
      `${recipe.method}: the experts' base "${experts[0].record.baseModel}" is not a model LoRA runs on (USE-lite or a Hugging Face model on the studio kernels)`,
    );
  return mergeLoraExperts(recipe, experts, base, info.backend);
}

/** Merges loaded experts by the recipe (experts in recipe order) into one new expert's files. */
export async function mergeExpertFiles(
  recipe: MergeRecipe,
  experts: readonly LoadedExpert[],
  info: MergedExpertInfo,
): Promise<MergedExpertFiles> {
  const records = experts.map((e) => e.record);
  checkMergeable(records);
  const method = records[0].method;
  if (method !== 'adapter' && method !== 'lora')
    throw new MergeError(`expert "${records[0].name}" has an unknown training method "${String(method)}"`);
  const weights =
    method === 'adapter'
      ? await mergeAdapterExperts(recipe, experts, adapterDim(experts[0]), info.backend)
      : await mergeLoraWeights(recipe, experts, info);
  return { record: mergedExpertRecord(recipe, records, info.name, info.id, info.createdAt), weights };
}
