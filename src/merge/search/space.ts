/**
 * The box a weight search moves in: one coordinate per searched parameter (each expert's weight, its
 * density where the method reads one, optionally lambda), each with its bounds, and the recipe a point
 * stands for. Pure (no I/O): the CLI, the worker and the tests share it.
 */
import { getMergeMethod } from '../registry';
import { checkRecipe, type MergeRecipe } from '../recipe';
import { DEFAULT_EPSILON, MergeError } from '../types';

export type ParamKind = 'weight' | 'density' | 'lambda';

export interface SearchParam {
  /** "weight Med-Real", "density (all)", "lambda" */
  label: string;
  kind: ParamKind;
  /** the experts this coordinate sets (one, or all for a shared density); empty for lambda */
  experts: number[];
  lo: number;
  hi: number;
}

export interface SearchSpace {
  /** the recipe every point starts from (method, base, experts, global options) */
  template: MergeRecipe;
  params: SearchParam[];
}

export interface SpaceOptions {
  /** weight bounds (default [0, 1]) */
  weight?: [number, number];
  /** density bounds where the method reads density (default [0.05, 1]) */
  density?: [number, number];
  /** one density for all experts instead of one each (a smaller space for a grid) */
  sharedDensity?: boolean;
  /** search lambda within these bounds too (default: lambda stays the template's) */
  lambda?: [number, number];
}

export const DEFAULT_WEIGHT_BOUNDS: [number, number] = [0, 1];
export const DEFAULT_DENSITY_BOUNDS: [number, number] = [0.05, 1];

function checkBounds(what: string, b: [number, number], min: number, max: number): [number, number] {
  const [lo, hi] = b;
  if (!Number.isFinite(lo) || !Number.isFinite(hi) || lo > hi || lo < min || hi > max)
    throw new MergeError(`search: ${what} bounds must satisfy ${min} ≤ lo ≤ hi ≤ ${max}, got [${lo}, ${hi}]`);
  return [lo, hi];
}

/** The search space of `template`'s method over its experts. */
export function searchSpace(template: MergeRecipe, opts: SpaceOptions = {}): SearchSpace {
  checkRecipe(template);
  const m = getMergeMethod(template.method);
  if (!m.modelParams.includes('weight'))
    throw new MergeError(
      `search: ${template.method} has no per-expert weights to search; choose linear, task_arithmetic, ties, dare_ties, breadcrumbs or della`,
    );
  const w = checkBounds('weight', opts.weight ?? DEFAULT_WEIGHT_BOUNDS, -10, 10);
  let d = checkBounds('density', opts.density ?? DEFAULT_DENSITY_BOUNDS, 0, 1);
  if (m.modelParams.includes('epsilon') && m.modelParams.includes('density')) {
    // DELLA's keep probabilities density ± epsilon must stay inside (0, 1): the density range shrinks to fit
    const eps = Math.max(...template.experts.map((e) => e.params.epsilon ?? DEFAULT_EPSILON));
    const lo = Math.round((eps + 0.01) * 1e6) / 1e6;
    const hi = Math.round((1 - eps - 0.01) * 1e6) / 1e6;
    if (lo > hi)
      throw new MergeError(`search: ${template.method} with epsilon ${eps} leaves no density to search`);
    d = [Math.min(Math.max(d[0], lo), hi), Math.max(Math.min(d[1], hi), lo)];
  }
  const params: SearchParam[] = template.experts.map((e, i) => ({
    label: `weight ${e.name}`,
    kind: 'weight',
    experts: [i],
    lo: w[0],
    hi: w[1],
  }));
  if (m.modelParams.includes('density')) {
    if (opts.sharedDensity)
      params.push({
        label: 'density (all)',
        kind: 'density',
        experts: template.experts.map((_, i) => i),
        lo: d[0],
        hi: d[1],
      });
    else
      template.experts.forEach((e, i) =>
        params.push({ label: `density ${e.name}`, kind: 'density', experts: [i], lo: d[0], hi: d[1] }),
      );
  }
  if (opts.lambda) {
    if (!m.globalParams.includes('lambda'))
      throw new MergeError(`search: ${template.method} does not read lambda; leave it out of the search`);
    const l = checkBounds('lambda', opts.lambda, 0, 10);
    params.push({ label: 'lambda', kind: 'lambda', experts: [], lo: l[0], hi: l[1] });
  }
  return { template, params };
}

const round = (v: number) => Math.round(v * 1e6) / 1e6;

/** A point clamped into the box (and rounded to 1e-6, so a recipe reads cleanly). */
export function clampPoint(space: SearchSpace, x: readonly number[]): number[] {
  if (x.length !== space.params.length)
    throw new MergeError(`search: a point has ${x.length} coordinates, the space ${space.params.length}`);
  return x.map((v, i) => {
    const p = space.params[i];
    if (!Number.isFinite(v)) throw new MergeError(`search: coordinate ${p.label} is ${v}`);
    return round(Math.min(p.hi, Math.max(p.lo, v)));
  });
}

/** The recipe a point of the space stands for (the point clamped into the box). */
export function pointRecipe(space: SearchSpace, x: readonly number[]): MergeRecipe {
  const c = clampPoint(space, x);
  const t = space.template;
  const experts = t.experts.map((e) => ({ ...e, params: { ...e.params } }));
  const options = { ...t.options };
  space.params.forEach((p, i) => {
    if (p.kind === 'lambda') options.lambda = c[i];
    else for (const k of p.experts) experts[k].params[p.kind] = c[i];
  });
  return { ...t, experts, options };
}

/** A short description of the space: "weight Med-Real ∈ [0, 1], density (all) ∈ [0.05, 1]". */
export function describeSpace(space: SearchSpace): string {
  return space.params.map((p) => `${p.label} ∈ [${p.lo}, ${p.hi}]`).join(', ');
}
