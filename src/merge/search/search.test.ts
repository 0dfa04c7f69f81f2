import { describe, expect, it } from 'vitest';
import type { MergeRecipe } from '../recipe';
import { gridPlan } from './grid';
import { objectiveOf, runSearch, type SearchStrategy, type TaskScores } from './search';
import { pointRecipe, searchSpace } from './space';

const template = (method: string, n: number): MergeRecipe => ({
  method,
  baseModel: 'base',
  experts: Array.from({ length: n }, (_, i) => ({ id: `e${i}`, name: `E${i}`, params: { weight: 1 } })),
  options: {},
});

/** Two tasks with optima at different weights: the mean is best in between (a known answer). */
function twoTasks(target: number[]) {
  const calls: MergeRecipe[] = [];
  const score = (r: MergeRecipe): Promise<TaskScores> => {
    calls.push(r);
    const w = r.experts.map((e) => e.params.weight);
    const d = r.experts.map((e) => e.params.density ?? 1);
    const dist =
      w.reduce((a, v, i) => a + (v - target[i]) ** 2, 0) + d.reduce((a, v) => a + (v - 0.5) ** 2, 0);
    return Promise.resolve({ medical: 1 - dist - 0.1 * w[0], general: 1 - dist + 0.1 * w[0] });
  };
  return { score, calls };
}

describe('search space', () => {
  it('has a weight per expert and a density where the method reads one, and maps points to recipes', () => {
    const ties = searchSpace(template('ties', 2));
    expect(ties.params.map((p) => p.label)).toEqual(['weight E0', 'weight E1', 'density E0', 'density E1']);
    const ta = searchSpace(template('task_arithmetic', 2), { lambda: [0.5, 2] });
    expect(ta.params.map((p) => p.label)).toEqual(['weight E0', 'weight E1', 'lambda']);
    const r = pointRecipe(ties, [0.3, 1.7, 0.01, 0.5]);
    expect(r.experts.map((e) => e.params)).toEqual([
      { weight: 0.3, density: 0.05 },
      { weight: 1, density: 0.5 },
    ]);
    const shared = searchSpace(template('ties', 3), { sharedDensity: true });
    expect(pointRecipe(shared, [0.1, 0.2, 0.3, 0.7]).experts.map((e) => e.params.density)).toEqual([
      0.7, 0.7, 0.7,
    ]);
    expect(pointRecipe(ta, [0.1, 0.2, 1.5]).options.lambda).toBe(1.5);
    expect(() => searchSpace(template('model_stock', 3))).toThrow(/no per-expert weights/);
    expect(() => searchSpace(template('linear', 2), { lambda: [0, 1] })).toThrow(/does not read lambda/);
  });
});

describe('gridPlan', () => {
  it("is the paper's grid when it fits the budget (weights 0..0.9, densities 0.1..0.9), all-zero weights left out", () => {
    const plan = gridPlan(searchSpace(template('ties', 1)), 1000);
    expect(plan.step).toBe(0.1);
    expect(plan.levels[0]).toEqual([0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9]);
    expect(plan.levels[1]).toEqual([0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9]);
    expect(plan.size).toBe(9 * 9);
    expect(plan.points).toHaveLength(81);
    expect(plan.sampled).toBe(false);
    expect(plan.points.some((x) => x[0] === 0)).toBe(false);
  });

  it('coarsens the step to fit a budget, and samples (seeded, no repeats) when even the coarsest does not', () => {
    const space = searchSpace(template('ties', 2));
    const plan = gridPlan(space, 200);
    expect(plan.step).toBe(0.3); // 4 weights × 3 densities per expert: 144 − 9 all-zero = 135
    expect(plan.size).toBe(135);
    expect(plan.points).toHaveLength(135);
    const three = searchSpace(template('ties', 3));
    const s1 = gridPlan(three, 50, { seed: 1 });
    const s2 = gridPlan(three, 50, { seed: 1 });
    expect(s1.sampled).toBe(true);
    expect(s1.points).toHaveLength(50);
    expect(s2.points).toEqual(s1.points);
    expect(new Set(s1.points.map((x) => x.join())).size).toBe(50);
    expect(s1.description).toMatch(/50 of them evaluated/);
  });
});

describe('runSearch', () => {
  it.each<[SearchStrategy, number]>([
    ['grid', 200],
    ['random', 300],
    ['cmaes', 300],
  ])('%s finds the known optimum of the mean of two tasks', async (strategy, budget) => {
    const { score } = twoTasks([0.6, 0.3]);
    const space = searchSpace(template('ties', 2));
    const res = await runSearch({ space, strategy, budget, seed: 5, score });
    expect(res.trials.length).toBeLessThanOrEqual(budget);
    const [w0, w1, d0, d1] = res.best.x;
    const tol = strategy === 'cmaes' ? 0.03 : 0.16;
    expect(Math.abs(w0 - 0.6)).toBeLessThan(tol);
    expect(Math.abs(w1 - 0.3)).toBeLessThan(tol);
    expect(Math.abs(d0 - 0.5)).toBeLessThan(tol + 0.1);
    expect(Math.abs(d1 - 0.5)).toBeLessThan(tol + 0.1);
    expect(res.best.objective).toBe(Math.max(...res.trials.map((t) => t.objective)));
    expect(res.best.objective).toBeCloseTo(objectiveOf(res.best.scores), 12);
  });

  it('is reproducible under a seed, logs every trial with its recipe, and reports progress', async () => {
    const space = searchSpace(template('task_arithmetic', 3));
    const seen: number[] = [];
    const run = () =>
      runSearch({
        space,
        strategy: 'cmaes',
        budget: 40,
        seed: 9,
        score: twoTasks([0.2, 0.4, 0.8]).score,
        onTrial: (p) => seen.push(p.done),
      });
    const a = await run();
    const b = await run();
    expect(b.trials.map((t) => t.x)).toEqual(a.trials.map((t) => t.x));
    expect(a.trials).toHaveLength(40);
    expect(seen.slice(0, 40)).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
    for (const t of a.trials) expect(t.recipe.experts.map((e) => e.params.weight)).toEqual(t.x);
  });

  it('scores a repeated point once (CMA-ES clamped onto the box)', async () => {
    const { score, calls } = twoTasks([1, 1]);
    const space = searchSpace(template('task_arithmetic', 1), { weight: [0, 0.2] });
    const res = await runSearch({ space, strategy: 'cmaes', budget: 30, seed: 1, score });
    const repeats = res.trials.filter((t) => t.repeat).length;
    expect(repeats).toBeGreaterThan(0);
    expect(calls.length).toBe(30 - repeats);
    expect(res.best.x).toEqual([0.2]);
  });

  it('stops on abort with the trials done so far; an abort before any trial rethrows', async () => {
    const ctl = new AbortController();
    const { score } = twoTasks([0.5]);
    const res = await runSearch({
      space: searchSpace(template('ties', 1)),
      strategy: 'random',
      budget: 100,
      seed: 0,
      signal: ctl.signal,
      score,
      onTrial: (p) => {
        if (p.done === 7) ctl.abort();
      },
    });
    expect(res.cancelled).toBe(true);
    expect(res.trials).toHaveLength(7);
    await expect(
      runSearch({
        space: searchSpace(template('ties', 1)),
        strategy: 'grid',
        budget: 5,
        seed: 0,
        signal: ctl.signal,
        score,
      }),
    ).rejects.toThrow(/cancelled/);
  });

  it('refuses a bad budget, strategy or score', async () => {
    const space = searchSpace(template('ties', 1));
    const score = () => Promise.resolve({ a: NaN });
    await expect(runSearch({ space, strategy: 'random', budget: 0, seed: 0, score })).rejects.toThrow(
      /budget/,
    );
    await expect(
      runSearch({ space, strategy: 'x' as SearchStrategy, budget: 1, seed: 0, score }),
    ).rejects.toThrow(/unknown strategy/);
    await expect(runSearch({ space, strategy: 'random', budget: 1, seed: 0, score })).rejects.toThrow(
      /task "a" scored NaN/,
    );
  });
});

describe('search space for DELLA', () => {
  it('keeps density ± epsilon inside (0, 1), as della requires', () => {
    const s = searchSpace(template('della', 2));
    const d = s.params.filter((p) => p.kind === 'density');
    expect(d.map((p) => [p.lo, p.hi])).toEqual([
      [0.16, 0.84],
      [0.16, 0.84],
    ]);
    const narrow = searchSpace(
      { ...template('della', 1), experts: [{ id: 'e', name: 'E', params: { weight: 1, epsilon: 0.05 } }] },
      { density: [0.3, 1] },
    );
    expect(narrow.params[1]).toMatchObject({ lo: 0.3, hi: 0.94 });
  });
});
