/**
 * Grid search points: the paper's grid (weights 0, 0.1, …, 0.9 per expert; densities 0.1, …, 0.9; lambda
 * over its bounds), intersected with the space's box. A full grid grows as 10^experts · 9^experts, so a
 * budget coarsens the step (0.1 → 0.15 → 0.2 → 0.3 → 0.45) until the grid fits; when even the coarsest
 * does not, a seeded sample of its points (without repeats) is taken. The plan says what was searched.
 */
import { Rng } from '../../util/rng';
import { MergeError } from '../types';
import type { ParamKind, SearchSpace } from './space';

/** the paper's ranges per kind (lambda: the space's own bounds) */
const PAPER: Record<Exclude<ParamKind, 'lambda'>, [number, number]> = {
  weight: [0, 0.9],
  density: [0.1, 0.9],
};
export const GRID_STEPS = [0.1, 0.15, 0.2, 0.3, 0.45] as const;

export interface GridPlan {
  step: number;
  /** the values of each coordinate */
  levels: number[][];
  /** points of the full grid at this step (all-zero weights excluded) */
  size: number;
  /** the points to evaluate, in order */
  points: number[][];
  /** true when `points` is a seeded sample of the grid, not all of it */
  sampled: boolean;
  /** "step 0.2: weights {0, 0.2, …} × densities {…}: 125 points, all evaluated" */
  description: string;
}

function levels(lo: number, hi: number, step: number): number[] {
  const out: number[] = [];
  for (let k = 0; ; k++) {
    const v = Math.round((lo + k * step) * 1e6) / 1e6;
    if (v > hi + 1e-9) break;
    out.push(v);
  }
  return out;
}

function levelsOf(space: SearchSpace, step: number): number[][] {
  return space.params.map((p) => {
    const [a, b] = p.kind === 'lambda' ? [p.lo, p.hi] : PAPER[p.kind];
    const lo = Math.max(a, p.lo);
    const hi = Math.min(b, p.hi);
    if (lo > hi)
      throw new MergeError(
        `grid: ${p.label} bounds [${p.lo}, ${p.hi}] miss the paper's range [${a}, ${b}]; use random or cmaes`,
      );
    const l = levels(lo, hi, step);
    return l.length > 0 ? l : [lo];
  });
}

/** The i-th grid point in lexicographic order (last coordinate fastest). */
function pointAt(lv: number[][], i: number): number[] {
  const x = new Array<number>(lv.length);
  for (let d = lv.length - 1; d >= 0; d--) {
    x[d] = lv[d][i % lv[d].length];
    i = Math.floor(i / lv[d].length);
  }
  return x;
}

function allWeightsZero(space: SearchSpace, x: number[]): boolean {
  return space.params.every((p, i) => p.kind !== 'weight' || x[i] === 0);
}

const fmt = (l: number[]) => (l.length <= 6 ? `{${l.join(', ')}}` : `{${l[0]}, ${l[1]}, …, ${l.at(-1)}}`);

/**
 * The grid to evaluate within `budget` points. `step` fixes the step (no coarsening); otherwise the finest
 * step of GRID_STEPS whose grid fits the budget is taken.
 */
export function gridPlan(
  space: SearchSpace,
  budget: number,
  opts: { step?: number; seed?: number } = {},
): GridPlan {
  if (!Number.isInteger(budget) || budget < 1)
    throw new MergeError(`grid: budget must be a positive integer, got ${budget}`);
  if (opts.step !== undefined && !(opts.step > 0 && opts.step <= 1))
    throw new MergeError(`grid: step must lie in (0, 1], got ${opts.step}`);
  const steps = opts.step !== undefined ? [opts.step] : GRID_STEPS;
  let step = steps[0];
  let lv = levelsOf(space, step);
  let full = lv.reduce((a, l) => a * l.length, 1);
  for (const s of steps) {
    step = s;
    lv = levelsOf(space, s);
    full = lv.reduce((a, l) => a * l.length, 1);
    if (full <= budget * 1.05 + 1) break; // the all-zero points do not count
  }
  const zeroPoints = space.params.reduce(
    (a, p, i) => (p.kind === 'weight' ? (lv[i].includes(0) ? a : 0) : a * lv[i].length),
    1,
  );
  const size = full - zeroPoints;
  const points: number[][] = [];
  let sampled = false;
  if (size <= budget) {
    for (let i = 0; i < full; i++) {
      const x = pointAt(lv, i);
      if (!allWeightsZero(space, x)) points.push(x);
    }
  } else {
    sampled = true;
    const rng = new Rng(opts.seed ?? 0);
    const seen = new Set<number>();
    while (points.length < budget) {
      const i = rng.int(full);
      if (seen.has(i)) continue;
      seen.add(i);
      const x = pointAt(lv, i);
      if (!allWeightsZero(space, x)) points.push(x);
    }
  }
  const dims = space.params.map((p, i) => `${p.label} ${fmt(lv[i])}`).join(' × ');
  const description = `grid step ${step}: ${dims} = ${size} points, ${
    sampled
      ? `${points.length} of them evaluated (a seeded sample; raise --budget or --grid-step for all)`
      : 'all evaluated'
  }`;
  return { step, levels: lv, size, points, sampled, description };
}
