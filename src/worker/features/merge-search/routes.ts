/**
 * The merge-search feature: a weight search over stored adapter experts on their dev pools (the base
 * embeddings computed once per search, so each trial is one small merge and a re-score).
 */
import { DEFAULT_POOL_K } from '../../../eval/dev-pool';
import { cachingEmbedder, MemoryEmbeddingCache } from '../../../eval/embed-cache';
import { searchSession, type DevTask } from '../../../experts/merge-search';
import type { LoadedExpert } from '../../../experts/merge';
import { recipeLabel, type MergeRecipe } from '../../../merge/recipe';
import { runSearch, type Trial } from '../../../merge/search/search';
import { searchSpace } from '../../../merge/search/space';
import { getExpert } from '../../../store/training';
import type { Host } from '../../host';
import type { Feature, JobCtx } from '../feature';
import {
  checkMergeSearchRequest,
  type MergeSearchRequest,
  type MergeSearchRequestMap,
  type MergeSearchResult,
  type MergeSearchTrial,
} from './protocol';

const view = (t: Trial): MergeSearchTrial => ({
  index: t.index,
  x: t.x,
  scores: t.scores,
  objective: t.objective,
  label: recipeLabel(t.recipe),
  ...(t.repeat ? { repeat: true } : {}),
});

async function search(req: MergeSearchRequest, ctx: JobCtx, host: Host): Promise<MergeSearchResult> {
  const db = ctx.db;
  ctx.progress('read', 0, 1);
  const loaded: LoadedExpert[] = [];
  for (const id of req.experts) {
    const { expert, weights } = await getExpert(id, db);
    loaded.push({
      record: expert,
      weights: new Map(weights.map((w) => [w.name, { shape: w.shape, data: w.data }])),
    });
  }
  const names = loaded.map((e) => e.record.name);
  const template: MergeRecipe = {
    method: req.method,
    baseModel: loaded[0].record.baseModel,
    experts: loaded.map((e, i) => ({ id: e.record.id, name: names[i], params: { weight: 1 } })),
    options: { seed: req.seed },
  };
  const space = searchSpace(template, { sharedDensity: req.sharedDensity });
  const tasks: DevTask[] = [];
  for (const d of req.dev)
    tasks.push({
      label: `${d.dataset}/${d.split}`,
      dataset: await host.dataset(d.dataset, db),
      split: d.split,
    });
  ctx.progress('acquire-backend', 0, 1);
  return host.backends.run(req.backend, ctx.signal, async (backend) => {
    ctx.progress('load-model', 0, 1);
    const raw = (await host.models.load(template.baseModel, ctx.signal)).embedder;
    // the base's vectors of every pool text, embedded once per search (the studio's IndexedDB cache holds
    // corpus chunks, not single texts); every trial then costs one small merge and a re-score
    const cache = new MemoryEmbeddingCache();
    const session = await searchSession({
      loaded,
      names,
      base: cachingEmbedder(raw, cache, { signal: ctx.signal }),
      native: raw,
      backend,
      tasks,
      poolK: req.poolK ?? DEFAULT_POOL_K,
      signal: ctx.signal,
      onPool: (task, m, n) => ctx.progress('embed', m, n, `dev pool ${task}`),
    });
    const result = await runSearch({
      space,
      strategy: req.strategy,
      budget: req.budget,
      seed: req.seed,
      signal: ctx.signal,
      score: (recipe, signal) => session.score(recipe, signal),
      onTrial: ({ done, total, trial, best }) =>
        ctx.progress(
          'score',
          done,
          total,
          `trial ${trial.index}: ${trial.objective.toFixed(4)} · best ${best.objective.toFixed(4)} (#${best.index})`,
        ),
    });
    return {
      searched: result.searched,
      params: space.params.map((p) => p.label),
      tasks: tasks.map((t) => t.label),
      reference: session.reference,
      trials: result.trials.map(view),
      best: { ...view(result.best), recipe: result.best.recipe },
      cancelled: result.cancelled,
    };
  });
}

export const mergeSearch: Feature<MergeSearchRequestMap> = {
  check: checkMergeSearchRequest,
  routes: {
    'merge-search': { queued: true, run: (req, ctx, host) => search(req, ctx, host) },
  },
};
