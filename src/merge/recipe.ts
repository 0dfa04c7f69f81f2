/**
 * A merge recipe: what the studio saves beside a merged model and what the panel, the search and the CLI
 * pass around — the method, the base, the experts with their per-model parameters, and the global
 * parameters (mergekit's `merge_method`, `base_model`, `models[].parameters`, `parameters`).
 */
import {
  checkParamValue,
  resolveModels,
  resolveOptions,
  type LayerModelParams,
  type LayerOptions,
} from './layer-params';
import { getMergeMethod } from './registry';
import { MergeError, type MergeOptions, type ModelParams } from './types';
import { checkInstruction } from '../prompts/policy';

/** One expert of a recipe: its id in the studio (or a path in the CLI), its name, its parameters. */
export interface MergeExpertRef {
  id: string;
  name: string;
  params: ModelParams;
  /** per-layer / per-name values (mergekit gradients and filters, layer-params.ts); a key here wins over params */
  perLayer?: LayerModelParams;
}

export interface MergeRecipe {
  method: string;
  /** the base model's id every expert shares */
  baseModel: string;
  experts: MergeExpertRef[];
  options: MergeOptions;
  /** per-layer / per-name global values (lambda, t); a key here wins over options */
  perLayer?: LayerOptions;
  /**
   * the query instruction the merged expert uses (src/prompts): a text, null for none; absent: the first
   * expert's default instruction (its prompt policy, if any)
   */
  instruction?: string | null;
}

/** Checks a recipe before any tensor is touched: a known method, experts, finite parameters. */
export function checkRecipe(r: MergeRecipe): MergeRecipe {
  const m = getMergeMethod(r.method);
  if (r.experts.length === 0) throw new MergeError(`${r.method}: no experts to merge; choose at least one`);
  if (r.experts.length < m.minExperts)
    throw new MergeError(`${r.method}: needs at least ${m.minExperts} experts, got ${r.experts.length}`);
  if (m.maxExperts !== undefined && r.experts.length > m.maxExperts)
    throw new MergeError(`${r.method}: at most ${m.maxExperts} expert(s), got ${r.experts.length}`);
  for (const e of r.experts) {
    for (const [k, v] of Object.entries(e.params)) {
      if (v !== undefined && !Number.isFinite(v))
        throw new MergeError(`${r.method}: expert "${e.name}" has ${k} = ${String(v)}; give a finite number`);
    }
  }
  for (const e of r.experts)
    for (const [k, v] of Object.entries(e.perLayer ?? {}))
      if (v !== undefined) checkParamValue(`${r.method}: expert "${e.name}" ${k}`, v);
  for (const [k, v] of Object.entries(r.perLayer ?? {}))
    if (v !== undefined) checkParamValue(`${r.method}: parameter ${k}`, v);
  for (const [k, v] of Object.entries(r.options)) {
    if (typeof v === 'number' && !Number.isFinite(v))
      throw new MergeError(`${r.method}: parameter ${k} = ${String(v)}; give a finite number`);
  }
  if (r.instruction !== undefined && r.instruction !== null) {
    if (typeof r.instruction !== 'string')
      throw new MergeError(`${r.method}: the instruction must be a text or null`);
    try {
      checkInstruction(r.instruction, `${r.method}: the query instruction`);
    } catch (e) {
      throw new MergeError((e as Error).message);
    }
  }
  return r;
}

/** A short human label: "ties λ=1 · Med-Real 0.5/d0.7 + Med-Synth 0.5/d0.7" (then " · prompt “…”" when set). */
export function recipeLabel(r: MergeRecipe): string {
  // at most 3 decimals: a search's weights are long floats, the recipe keeps them exactly
  const n = (x: number) => String(Math.round(x * 1000) / 1000);
  const parts = r.experts.map((e) => {
    const d = e.params.density !== undefined && e.params.density !== 1 ? `/d${n(e.params.density)}` : '';
    return `${e.name} ${n(e.params.weight)}${d}`;
  });
  const lam = r.options.lambda !== undefined && r.options.lambda !== 1 ? ` λ=${n(r.options.lambda)}` : '';
  const prompt =
    r.instruction === undefined
      ? ''
      : r.instruction === null
        ? ' · no prompt'
        : ` · prompt “${r.instruction}”`;
  return `${r.method}${lam} · ${parts.join(' + ')}${prompt}`;
}

/** The plain per-model parameters and options of one tensor (per-layer values resolved; layer-params.ts). */
export function recipeTensorParams(
  r: MergeRecipe,
  name: string,
  layers: number,
): { models: ModelParams[]; options: MergeOptions } {
  return {
    models: resolveModels(r.experts, name, layers),
    options: resolveOptions(r.options, r.perLayer, name, layers),
  };
}
