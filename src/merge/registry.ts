/**
 * The merge methods by mergekit name, and whole-model merging: tensors matched by name across the base
 * and the experts, each merged by the method.
 */
import { breadcrumbs } from './breadcrumbs';
import { breadcrumbsTies } from './breadcrumbs-ties';
import { dareLinear } from './dare-linear';
import { dareTies } from './dare-ties';
import { della } from './della';
import { dellaLinear } from './della-linear';
import { linear } from './linear';
import type { MergeMethod } from './method';
import { modelStock } from './model-stock';
import { multislerp } from './multislerp';
import { slerp } from './slerp';
import { taskArithmetic } from './task-arithmetic';
import { ties } from './ties';
import { MergeError, numel, type MergeOptions, type ModelParams, type NamedTensor } from './types';

export const MERGE_METHODS = [
  linear,
  taskArithmetic,
  ties,
  dareLinear,
  dareTies,
  breadcrumbs,
  breadcrumbsTies,
  della,
  dellaLinear,
  slerp,
  modelStock,
  multislerp,
] as const satisfies readonly MergeMethod[];

export type MergeMethodName = (typeof MERGE_METHODS)[number]['name'];

export function mergeMethodNames(): string[] {
  return MERGE_METHODS.map((m) => m.name);
}

export function getMergeMethod(name: string): MergeMethod {
  const m = MERGE_METHODS.find((x) => x.name === name);
  if (!m) throw new MergeError(`unknown merge method "${name}"; known: ${mergeMethodNames().join(', ')}`);
  return m;
}

/** Merges one tensor: base (or null) and the experts' tensors of the same name and shape. */
export function mergeTensor(
  method: string,
  base: NamedTensor | null,
  experts: NamedTensor[],
  models: ModelParams[],
  options: MergeOptions = {},
): NamedTensor {
  const m = getMergeMethod(method);
  const ref = base ?? experts[0];
  if (!ref) throw new MergeError(`${method}: nothing to merge (no base and no experts)`);
  const { name, shape } = ref;
  if (m.maxExperts !== undefined && experts.length > m.maxExperts) {
    throw new MergeError(
      `${method} on tensor "${name}": at most ${m.maxExperts} expert(s), got ${experts.length}`,
    );
  }
  if (m.modelParams.length === 0 && models.length === 0) models = experts.map(() => ({ weight: 1 }));
  if (models.length !== experts.length) {
    throw new MergeError(
      `${method}: ${experts.length} experts but ${models.length} parameter sets; give one per expert`,
    );
  }
  for (const [i, t] of experts.entries()) {
    if (t.name !== name || t.shape.length !== shape.length || t.shape.some((d, k) => d !== shape[k])) {
      throw new MergeError(
        `${method}: expert ${i} tensor "${t.name}" [${t.shape.join(',')}] does not match "${name}" [${shape.join(',')}]; experts must share the base's tensor names and shapes`,
      );
    }
  }
  if (ref.data.length !== numel(shape)) {
    throw new MergeError(
      `${method}: tensor "${name}" has ${ref.data.length} values, shape [${shape.join(',')}] needs ${numel(shape)}`,
    );
  }
  const data = m.merge({
    name,
    shape,
    base: base ? base.data : null,
    experts: experts.map((e) => e.data),
    models,
    options,
  });
  return { name, shape: [...shape], data };
}

/**
 * Merges whole models: every tensor of the base (or of the first expert when the method takes no base),
 * looked up by name in each expert; a tensor missing from an expert is an error naming both.
 */
export function mergeModels(
  method: string,
  base: NamedTensor[] | null,
  experts: NamedTensor[][],
  models: ModelParams[],
  options: MergeOptions = {},
): NamedTensor[] {
  const m = getMergeMethod(method);
  if (m.needsBase && !base) throw new MergeError(`${method}: a base model is required`);
  const maps = experts.map((ts) => new Map(ts.map((t) => [t.name, t])));
  const names = (base ?? experts[0] ?? []).map((t) => t.name);
  const baseMap = base ? new Map(base.map((t) => [t.name, t])) : null;
  return names.map((name) => {
    const ts = maps.map((mp, i) => {
      const t = mp.get(name);
      if (!t)
        throw new MergeError(
          `${method}: expert ${i} has no tensor "${name}"; experts must share the base's tensor names`,
        );
      return t;
    });
    return mergeTensor(method, baseMap ? (baseMap.get(name) as NamedTensor) : null, ts, models, options);
  });
}
