/** The Merge panel's draft (what the sliders say) and the recipe it describes: pure functions. */
import type { ExpertRecord } from '../../experts/record';
import type { MergeRecipe } from '../../merge/recipe';
import { getMergeMethod } from '../../merge/registry';
import type { ModelParams } from '../../merge/types';
import type { PoolRef } from '../../worker/features/merge/protocol';
import type { MergeDraft, MergeExpertParams, MergeFlag } from './merge-types';

export const MERGE_FLAGS: readonly MergeFlag[] = ['normalize', 'rescale', 'filterWise', 'normalizeWeights'];

/** A switch's value for the method: the user's, else the method's default. */
export function flagValue(d: MergeDraft, key: MergeFlag): boolean {
  const set = d.flags[key];
  if (set !== undefined) return set;
  const m = getMergeMethod(d.method);
  if (key === 'normalize' || key === 'rescale') return m.defaults[key] ?? false;
  return key === 'normalizeWeights';
}

export const DEFAULT_EXPERT_PARAMS: MergeExpertParams = {
  weight: 0.5,
  density: 0.5,
  gamma: 0.01,
  epsilon: 0.15,
};

export function emptyDraft(): MergeDraft {
  return { method: 'ties', picked: [], params: {}, lambda: 1, seed: 0, t: 0.5, flags: {} };
}

/** Why the draft cannot be scored, or null when it can. */
export function draftProblem(
  d: MergeDraft,
  experts: readonly ExpertRecord[],
  pools: readonly PoolRef[],
): string | null {
  if (experts.length === 0)
    return 'No experts yet: train two in the Train tab, then come back to merge them.';
  const m = getMergeMethod(d.method);
  if (d.picked.length === 0)
    return experts.length === 1
      ? 'Tick the expert to scale it (task arithmetic with one expert); a merge proper needs two experts: train another in the Train tab.'
      : 'Tick two or more experts to merge (they must share a base model and a training method).';
  if (d.picked.length < m.minExperts)
    return `${m.label} needs at least ${m.minExperts} experts; ${d.picked.length} ticked.`;
  if (m.maxExperts !== undefined && d.picked.length > m.maxExperts)
    return `${m.label} blends the base with exactly ${m.maxExperts} expert; untick the others or choose another method.`;
  if (pools.length === 0) return 'Choose at least one dataset split to score the merge on.';
  return null;
}

/** The recipe the sliders describe: only the parameters the method reads. */
export function draftRecipe(d: MergeDraft, experts: readonly ExpertRecord[]): MergeRecipe {
  const m = getMergeMethod(d.method);
  const recs = d.picked.map((id) => experts.find((e) => e.id === id) as ExpertRecord);
  const reads = (k: string) => (m.modelParams as readonly string[]).includes(k);
  const g = (k: string) => (m.globalParams as readonly string[]).includes(k);
  return {
    method: d.method,
    baseModel: recs[0]?.baseModel ?? '',
    experts: recs.map((r) => {
      const p = d.params[r.id] ?? DEFAULT_EXPERT_PARAMS;
      const params: ModelParams = { weight: p.weight };
      if (reads('density')) params.density = p.density;
      if (reads('gamma')) params.gamma = p.gamma;
      if (reads('epsilon')) params.epsilon = p.epsilon;
      return { id: r.id, name: r.name, params };
    }),
    options: {
      ...(g('lambda') ? { lambda: d.lambda } : {}),
      ...(g('seed') ? { seed: d.seed } : {}),
      ...(g('t') ? { t: d.t } : {}),
      ...Object.fromEntries(Object.entries(d.flags).filter(([k, v]) => v !== undefined && g(k))),
    },
    ...(d.instruction !== undefined ? { instruction: d.instruction } : {}),
  };
}

/** The draft a saved recipe puts back on the sliders. */
export function recipeDraft(r: MergeRecipe, prev: MergeDraft): MergeDraft {
  const params = { ...prev.params };
  for (const e of r.experts) params[e.id] = { ...DEFAULT_EXPERT_PARAMS, ...params[e.id], ...e.params };
  return {
    method: r.method,
    picked: r.experts.map((e) => e.id),
    params,
    lambda: r.options.lambda ?? 1,
    seed: r.options.seed ?? 0,
    t: r.options.t ?? prev.t,
    flags: Object.fromEntries(
      MERGE_FLAGS.flatMap((k) => (typeof r.options[k] === 'boolean' ? [[k, r.options[k]]] : [])),
    ),
    ...(r.instruction !== undefined ? { instruction: r.instruction } : {}),
  };
}
