/**
 * Weight search on a retrieval objective: the strategies (grid, random, CMA-ES) propose points of the
 * space, an async `score(recipe)` returns per-task figures (nDCG@10 on each dev pool), and the objective
 * is their plain mean — each pool one task, medical and general side by side, so a search cannot buy one
 * domain with the other by pool size. Every trial is logged; progress, cancel (AbortSignal) and the best so
 * far are reported. A point met twice (CMA-ES clamped onto the box's edge) is scored once.
 */
import { Rng } from '../../util/rng';
import { recipeLabel, type MergeRecipe } from '../recipe';
import { MergeError } from '../types';
import { Cmaes } from './cmaes';
import { gridPlan } from './grid';
import { clampPoint, describeSpace, pointRecipe, type SearchSpace } from './space';

export type SearchStrategy = 'grid' | 'random' | 'cmaes';
export const SEARCH_STRATEGIES: readonly SearchStrategy[] = ['grid', 'random', 'cmaes'];

/** task label → figure (higher is better) */
export type TaskScores = Record<string, number>;

export interface Trial {
  /** 1-based */
  index: number;
  /** the point, clamped into the box, in the space's coordinate order */
  x: number[];
  recipe: MergeRecipe;
  scores: TaskScores;
  objective: number;
  seconds: number;
  /** true when this point had been scored before (its figures are reused) */
  repeat?: boolean;
}

export interface SearchProgress {
  done: number;
  total: number;
  trial: Trial;
  best: Trial;
}

export interface SearchOptions {
  space: SearchSpace;
  strategy: SearchStrategy;
  /** evaluations at most */
  budget: number;
  seed: number;
  /** grid: a fixed step (default: the finest that fits the budget) */
  gridStep?: number;
  /** cmaes: starting step size in units of each coordinate's range (default 0.3) */
  sigma?: number;
  score: (recipe: MergeRecipe, signal?: AbortSignal) => Promise<TaskScores>;
  signal?: AbortSignal;
  onTrial?: (p: SearchProgress) => void;
}

export interface SearchResult {
  strategy: SearchStrategy;
  /** what was searched: the space and, for a grid, its step and how much of it */
  searched: string;
  trials: Trial[];
  best: Trial;
  /** true when the signal stopped the search early (trials holds what was done) */
  cancelled: boolean;
}

export function objectiveOf(scores: TaskScores): number {
  const v = Object.values(scores);
  if (v.length === 0) throw new MergeError('search: the score callback returned no tasks');
  for (const [k, x] of Object.entries(scores))
    if (!Number.isFinite(x)) throw new MergeError(`search: task "${k}" scored ${x}`);
  return v.reduce((a, b) => a + b, 0) / v.length;
}

const isAbort = (e: unknown) => (e as { name?: string } | null)?.name === 'AbortError';

class Runner {
  readonly trials: Trial[] = [];
  best: Trial | undefined;
  private readonly memo = new Map<string, Trial>();

  constructor(
    private readonly opts: SearchOptions,
    private readonly total: number,
  ) {}

  get left(): number {
    return this.opts.budget - this.trials.length;
  }

  async evaluate(point: readonly number[]): Promise<Trial> {
    const { space, signal } = this.opts;
    // a macrotask between trials: a cancel message (a worker's, a UI's click) gets in even when scoring
    // never leaves the microtask queue (the CPU backend)
    await new Promise((r) => setTimeout(r, 0));
    if (signal?.aborted) throw new DOMException('search cancelled', 'AbortError');
    const x = clampPoint(space, point);
    const key = x.join(',');
    const recipe = pointRecipe(space, x);
    const t0 = performance.now();
    const seen = this.memo.get(key);
    const scores = seen ? seen.scores : await this.opts.score(recipe, signal);
    const trial: Trial = {
      index: this.trials.length + 1,
      x,
      recipe,
      scores: { ...scores },
      objective: objectiveOf(scores),
      seconds: (performance.now() - t0) / 1000,
      ...(seen ? { repeat: true } : {}),
    };
    if (!seen) this.memo.set(key, trial);
    this.trials.push(trial);
    if (!this.best || trial.objective > this.best.objective) this.best = trial;
    this.opts.onTrial?.({ done: this.trials.length, total: this.total, trial, best: this.best });
    return trial;
  }
}

/** Runs the search; an abort ends it early with what was done (at least one trial), else rethrows. */
export async function runSearch(opts: SearchOptions): Promise<SearchResult> {
  const { space, strategy, budget, seed } = opts;
  if (!Number.isInteger(budget) || budget < 1)
    throw new MergeError(`search: budget must be a positive integer, got ${budget}`);
  if (!(SEARCH_STRATEGIES as readonly string[]).includes(strategy))
    throw new MergeError(`search: unknown strategy "${strategy}"; use ${SEARCH_STRATEGIES.join('|')}`);
  const n = space.params.length;
  let searched = describeSpace(space);
  const grid = strategy === 'grid' ? gridPlan(space, budget, { step: opts.gridStep, seed }) : undefined;
  if (grid) searched = grid.description;
  const runner = new Runner(opts, grid ? grid.points.length : budget);
  let cancelled = false;
  try {
    if (grid) {
      for (const x of grid.points) await runner.evaluate(x);
    } else if (strategy === 'random') {
      const rng = new Rng(seed);
      searched = `random, best of ${budget} uniform points (seed ${seed}): ${searched}`;
      while (runner.left > 0)
        await runner.evaluate(space.params.map((p) => p.lo + (p.hi - p.lo) * rng.next()));
    } else {
      // CMA-ES in unit coordinates (each parameter's range mapped to [0, 1]), started from the box's centre;
      // a candidate outside the box is scored at its clamped point, and its cost carries the distance to it
      const toBox = (u: readonly number[]) =>
        u.map((v, i) => space.params[i].lo + v * (space.params[i].hi - space.params[i].lo));
      const cma = new Cmaes({ mean: new Array(n).fill(0.5), sigma: opts.sigma ?? 0.3, seed });
      searched = `CMA-ES (λ = ${cma.lambda}, σ0 = ${opts.sigma ?? 0.3} of each range, seed ${seed}), ${budget} evaluations: ${searched}`;
      while (runner.left > 0) {
        const us = cma.ask();
        const costs: number[] = [];
        for (const u of us) {
          if (runner.left === 0) break;
          const t = await runner.evaluate(toBox(u));
          const outside = u.reduce((a, v) => a + (v < 0 ? v * v : v > 1 ? (v - 1) ** 2 : 0), 0);
          costs.push(-t.objective + outside);
        }
        if (costs.length < us.length) break;
        cma.tell(us, costs);
      }
    }
  } catch (e) {
    if (!isAbort(e) || runner.trials.length === 0) throw e;
    cancelled = true;
  }
  return { strategy, searched, trials: runner.trials, best: runner.best!, cancelled };
}

/** One line per trial, for logs: "#12 .4712  med/dev .5500 …  ties · Med-Real 0.5/d0.7 + …". */
export function trialLine(t: Trial): string {
  const s = Object.entries(t.scores)
    .map(([k, v]) => `${k} ${v.toFixed(4)}`)
    .join('  ');
  return `#${t.index} ${t.objective.toFixed(4)}  ${s}  ${recipeLabel(t.recipe)}`;
}
