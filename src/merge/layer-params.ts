/**
 * Per-layer merge parameters, as in mergekit YAML. A parameter value is one of
 *   - a number (the same everywhere);
 *   - a list of numbers, a gradient: interpolated linearly over the layers, t = layer / (layers − 1) placed on
 *     the list's points (mergekit's evaluate_setting; a model of one layer takes t = 1, as mergekit's
 *     plan_slice does); a tensor outside the layers (embeddings, final norm, head, pooler, an embedding
 *     adapter's W and b) takes t = 0, as mergekit's plan_module reads its pre and post weights (mergekit
 *     before its multi-module planner, PR #534 of March 2025, read the post weights at t = 1);
 *   - a list of rules [{filter: "attn", value: 0.3}, {value: 0.5}]: the first rule whose filter is a
 *     substring of the tensor (or module) name wins; a rule without a filter (or "*") matches every name;
 *     a rule's value may itself be a number or a gradient. No rule matching is an error naming the tensor.
 *
 * Exports: ParamValue / ParamRule (the value types), checkParamValue (validation with a message naming the
 * parameter), layerIndex / layerCount (the layer of a tensor name: ".layers.N.", ".layer.N.", ".h.N.",
 * ".blocks.N."), layerT, resolveParam (one value for one tensor), and the recipe side: LayerModelParams /
 * LayerOptions (what MergeExpertRef.perLayer and MergeRecipe.perLayer hold) with resolveModels /
 * resolveOptions (the plain ModelParams / MergeOptions of one tensor, the plain number form unchanged), and
 * tensorParams (the same for every tensor of a checkpoint merge: name -> {models, options}).
 */
import type { MergeOptions, ModelParams } from './types';
import { MergeError } from './types';

export interface ParamRule {
  /** substring of the tensor / module name; absent or "*": every name */
  filter?: string;
  value: number | number[];
}

export type ParamValue = number | number[] | ParamRule[];

/** Per-model parameters that may vary by layer or name (override MergeExpertRef.params key by key). */
export type LayerModelParams = Partial<Record<keyof ModelParams, ParamValue>>;

/** Numeric global parameters that may vary by layer or name. */
export type LayerOptionName = 'lambda' | 't';
export type LayerOptions = Partial<Record<LayerOptionName, ParamValue>>;

const isNum = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

/** Checks a value's form; `what` names the parameter (e.g. 'expert "Med-Real" density'). */
export function checkParamValue(what: string, v: unknown): ParamValue {
  if (isNum(v)) return v;
  if (!Array.isArray(v) || v.length === 0)
    throw new MergeError(
      `${what}: expected a number, a list of numbers (a gradient over the layers) or a list of {filter, value} rules, got ${JSON.stringify(v)}`,
    );
  if (v.every(isNum)) return v;
  v.forEach((r: unknown, i) => {
    if (typeof r !== 'object' || r === null || Array.isArray(r))
      throw new MergeError(`${what}: rule ${i + 1} must be {filter, value}, got ${JSON.stringify(r)}`);
    const rule = r as Record<string, unknown>;
    const extra = Object.keys(rule).filter((k) => k !== 'filter' && k !== 'value');
    if (extra.length > 0)
      throw new MergeError(
        `${what}: rule ${i + 1} has unknown key(s) ${extra.join(', ')}; use filter and value`,
      );
    if (rule.filter !== undefined && typeof rule.filter !== 'string')
      throw new MergeError(
        `${what}: rule ${i + 1} filter must be a string, got ${JSON.stringify(rule.filter)}`,
      );
    const val = rule.value;
    if (!(isNum(val) || (Array.isArray(val) && val.length > 0 && val.every(isNum))))
      throw new MergeError(
        `${what}: rule ${i + 1} value must be a number or a list of numbers, got ${JSON.stringify(val)}`,
      );
  });
  return v as ParamRule[];
}

const LAYER_RE = /(?:^|\.)(?:layers|layer|h|blocks|block)\.(\d+)(?:\.|$)/;

/** The layer index in a tensor / module name, or null for tensors outside the layers. */
export function layerIndex(name: string): number | null {
  const m = LAYER_RE.exec(name);
  return m ? Number(m[1]) : null;
}

/** Layers of a model from its tensor (or module) names: the largest index + 1 (0 when none). */
export function layerCount(names: Iterable<string>): number {
  let n = 0;
  for (const name of names) {
    const i = layerIndex(name);
    if (i !== null) n = Math.max(n, i + 1);
  }
  return n;
}

/** Where a tensor sits in mergekit's gradient: layer / (layers − 1) (1 in a one-layer model); outside the layers 0. */
export function layerT(name: string, layers: number): number {
  const i = layerIndex(name);
  if (i === null) return 0;
  if (layers <= 1) return 1;
  return Math.min(1, i / (layers - 1));
}

function gradient(values: readonly number[], t: number): number {
  if (values.length === 1) return values[0];
  const scaled = t * (values.length - 1);
  const i0 = Math.floor(scaled);
  const i1 = Math.min(values.length - 1, i0 + 1);
  const frac = scaled - i0;
  return (1 - frac) * values[i0] + frac * values[i1];
}

/** The value of `v` for tensor `name` in a model of `layers` layers. */
export function resolveParam(v: ParamValue, name: string, layers: number, what = 'parameter'): number {
  if (typeof v === 'number') return v;
  if (v.length > 0 && v.every((x) => typeof x === 'number'))
    return gradient(v as number[], layerT(name, layers));
  for (const r of v as ParamRule[]) {
    if (r.filter === undefined || r.filter === '*' || name.includes(r.filter))
      return typeof r.value === 'number' ? r.value : gradient(r.value, layerT(name, layers));
  }
  throw new MergeError(
    `${what}: no rule matches tensor "${name}" (filters: ${(v as ParamRule[]).map((r) => JSON.stringify(r.filter)).join(', ')}); add a rule without a filter as the default`,
  );
}

/** The plain per-model parameters of tensor `name`: `params`, with each perLayer key resolved. */
export function resolveModels(
  experts: readonly { name: string; params: ModelParams; perLayer?: LayerModelParams }[],
  name: string,
  layers: number,
): ModelParams[] {
  return experts.map((e) => {
    if (!e.perLayer) return e.params;
    const out: ModelParams = { ...e.params };
    for (const [k, v] of Object.entries(e.perLayer) as [keyof ModelParams, ParamValue | undefined][])
      if (v !== undefined) out[k] = resolveParam(v, name, layers, `expert "${e.name}" ${k}`);
    return out;
  });
}

/** The plain global options of tensor `name`: `options`, with each perLayer key resolved. */
export function resolveOptions(
  options: MergeOptions,
  perLayer: LayerOptions | undefined,
  name: string,
  layers: number,
): MergeOptions {
  if (!perLayer) return options;
  const out: MergeOptions = { ...options };
  for (const [k, v] of Object.entries(perLayer) as [LayerOptionName, ParamValue | undefined][])
    if (v !== undefined) out[k] = resolveParam(v, name, layers, k);
  return out;
}

/** Whether a recipe has any per-layer value (so a caller can skip the per-tensor resolution). */
export function hasPerLayer(r: {
  experts: readonly { perLayer?: LayerModelParams }[];
  perLayer?: LayerOptions;
}): boolean {
  return !!r.perLayer || r.experts.some((e) => !!e.perLayer);
}

/**
 * The per-tensor parameters of a whole-checkpoint merge: for a model whose tensor names are `names`, a
 * function from a tensor name to the plain models / options it merges with (per-layer values resolved,
 * the layer count taken from the names). Without any per-layer value it returns the plain ones as given.
 */
export function tensorParams(
  names: readonly string[],
  experts: readonly { name: string; params: ModelParams; perLayer?: LayerModelParams }[],
  options: MergeOptions,
  perLayer?: LayerOptions,
): (tensor: string) => { models: ModelParams[]; options: MergeOptions } {
  const layers = layerCount(names);
  const plain = experts.map((e) => e.params);
  if (!hasPerLayer({ experts, perLayer })) return () => ({ models: plain, options });
  return (tensor) => ({
    models: resolveModels(experts, tensor, layers),
    options: resolveOptions(options, perLayer, tensor, layers),
  });
}
