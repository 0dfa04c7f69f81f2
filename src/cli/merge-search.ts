/**
 * `stm merge-search`: weight search for a merge of adapter experts on nDCG@10 over dev pools (src/eval/
 * dev-pool.ts), then the chosen merge — with the base and each expert beside it — scored by the full
 * evaluate() on test splits the search never saw; optionally saved as an expert folder.
 */
import { basename } from 'node:path';
import { loadBeirDir } from '../data/node';
import { qrelsOf } from '../data/qrels-check';
import type { Dataset } from '../data/types';
import { cachingEmbedder, MemoryEmbeddingCache, type EmbeddingCache } from '../eval/embed-cache';
import { FileEmbeddingCache } from '../eval/embed-cache-node';
import { evaluate } from '../eval/evaluate';
import { expertEmbedder } from '../experts/embedder';
import { readExpertDir, writeExpertDir } from '../experts/files-node';
import type { LoadedExpert } from '../experts/merge';
import { checkSearchable, searchSession, type DevTask } from '../experts/merge-search';
import { resolveModelNode } from '../experts/resolve-node';
import type { Embedder } from '../models/types';
import { recipeLabel, type MergeRecipe } from '../merge/recipe';
import { runSearch, trialLine, type SearchResult, type TaskScores } from '../merge/search/search';
import { describeSpace, searchSpace } from '../merge/search/space';
import { cliBackend } from './backend';
import type { MergeSearchArgs, SplitSpec } from './merge-search-args';
import type { Reporter } from './progress';
import { checkWritableDir, writeFailed } from './writable';

/** Loads each folder once; labels "<folder>/<split>", the path when two folders share a name. */
async function loadTasks(specs: readonly SplitSpec[], option: string): Promise<DevTask[]> {
  const sets = new Map<string, Dataset>();
  const tasks: DevTask[] = [];
  for (const s of specs) {
    let d = sets.get(s.dir);
    if (!d) sets.set(s.dir, (d = await loadBeirDir(s.dir)));
    try {
      qrelsOf(d, s.split);
    } catch (e) {
      throw new Error(`${option} ${s.dir}:${s.split}: ${(e as Error).message}`);
    }
    tasks.push({ label: `${basename(s.dir)}/${s.split}`, dataset: d, split: s.split });
  }
  const counts = new Map<string, number>();
  for (const t of tasks) counts.set(t.label, (counts.get(t.label) ?? 0) + 1);
  specs.forEach((s, i) => {
    if (counts.get(tasks[i].label)! > 1) tasks[i].label = `${s.dir}/${s.split}`;
  });
  return tasks;
}

const f4 = (x: number) => x.toFixed(4);

export async function runMergeSearch(
  a: MergeSearchArgs,
  report: Pick<Reporter, 'log' | 'progress'>,
): Promise<void> {
  const log = report.log;
  const t0 = Date.now();
  const el = () => `${((Date.now() - t0) / 1000).toFixed(0)} s`;
  if (a.out) await checkWritableDir('--out', a.out);
  const loaded: LoadedExpert[] = [];
  for (const dir of a.experts) loaded.push(await readExpertDir(dir));
  checkSearchable(loaded);
  const first = loaded[0].record;
  const names = a.experts.map((d) => basename(d.replace(/[\\/]+$/, '')));
  const template: MergeRecipe = {
    method: a.method,
    baseModel: first.baseModel,
    experts: loaded.map((e, i) => ({ id: e.record.id, name: names[i], params: { weight: 1 } })),
    options: { seed: a.seed },
  };
  const space = searchSpace(template, {
    weight: a.weight,
    density: a.density,
    sharedDensity: a.sharedDensity,
    lambda: a.lambda,
  });
  log(`search space (${a.method}): ${describeSpace(space)}`);
  const devTasks = await loadTasks(a.dev, '--dev');
  const testTasks = await loadTasks(a.test, '--test');
  const rawBase = await resolveModelNode(first.baseModel, log);
  // the cache is named by its stem (<file>.f32 + <file>.keys.json); the .f32 file's own name works too
  const cacheFile = a.cache?.replace(/\.(f32|keys\.json)$/, '');
  const cache: EmbeddingCache = cacheFile
    ? await FileEmbeddingCache.open(cacheFile)
    : new MemoryEmbeddingCache();
  const base = cachingEmbedder(rawBase, cache, { chunk: 64 });
  const be = await cliBackend(a.backend, log);
  try {
    const session = await searchSession({
      loaded,
      names,
      base,
      native: rawBase,
      backend: be,
      tasks: devTasks,
      poolK: a.poolK,
      onPool: (task, m, n) => report.progress(`pool ${task}`, m, n),
      onPoolBuilt: (pool) =>
        log(
          `dev pool ${pool.label}: ${pool.queries.length} queries, ${pool.docs.length} of ${devTasks.find((t) => t.label === pool.label)!.dataset.docs.length} docs (k ${a.poolK}) (${el()})`,
        ),
    });
    await cache.flush?.();
    const { pools, reference } = session;
    const mean = (s: TaskScores) => Object.values(s).reduce((x, y) => x + y, 0) / Object.values(s).length;
    for (const r of reference)
      log(
        `dev ${r.model}: mean ${f4(mean(r.scores))}  ${Object.entries(r.scores)
          .map(([k, v]) => `${k} ${f4(v)}`)
          .join('  ')}`,
      );
    let bestSeen = -Infinity;
    const result: SearchResult = await runSearch({
      space,
      strategy: a.strategy,
      budget: a.budget,
      seed: a.seed,
      gridStep: a.gridStep,
      score: (recipe, signal) => session.score(recipe, signal),
      onTrial: ({ done, total, trial, best }) => {
        if (best.objective > bestSeen) {
          bestSeen = best.objective;
          log(`new best ${trialLine(trial)}`);
        }
        report.progress('search', done, total, { detail: `best ${f4(best.objective)}` });
      },
    });
    log(`searched: ${result.searched} (${el()})`);
    // the trial table, complete on stdout
    const labels = pools.map((p) => p.label);
    console.log(
      `merge-search ${a.method} ${a.strategy}: ${result.trials.length} trials; objective = mean nDCG@10 over ${labels.join(', ')} (dev pools, k ${a.poolK})`,
    );
    console.log(`searched: ${result.searched}`);
    console.log(['#', 'objective', ...labels, ...space.params.map((p) => p.label)].join('\t'));
    for (const t of result.trials)
      console.log([t.index, f4(t.objective), ...labels.map((l) => f4(t.scores[l])), ...t.x].join('\t'));
    for (const r of reference)
      console.log(
        `reference\t${f4(mean(r.scores))}\t${labels.map((l) => f4(r.scores[l])).join('\t')}\t${r.model}`,
      );
    const best = result.best;
    console.log(`best #${best.index} ${f4(best.objective)}: ${recipeLabel(best.recipe)}`);
    // the chosen merge on the held-out test splits, the base and each expert beside it
    const chosen = await session.merged(
      best.recipe,
      `merge ${recipeLabel(best.recipe)}`,
      a.out ? basename(a.out) : `merge-${a.method}`,
      new Date().toISOString(),
    );
    const test: { model: string; scores: TaskScores; mean: number }[] = [];
    if (testTasks.length > 0) {
      const models: [string, Embedder][] = [
        ...(a.compare
          ? [
              [`${first.baseModel} (base)`, base] as [string, Embedder],
              ...loaded.map((e, i): [string, Embedder] => [
                names[i],
                expertEmbedder(e.record.method === 'lora' ? rawBase : base, e.record, e.weights, names[i]),
              ]),
            ]
          : []),
        [`merge (${a.method})`, chosen.embedder],
      ];
      for (const [model, e] of models) {
        const scores: TaskScores = {};
        for (const t of testTasks) {
          const { report: r } = await evaluate({
            dataset: t.dataset,
            split: t.split,
            retriever: { kind: 'dense', embedder: e, backend: be },
            onProgress: (p) => report.progress(`test ${model} ${t.label} ${p.phase}`, p.done, p.total),
          });
          scores[t.label] = r.metrics['ndcg@10'];
        }
        test.push({ model, scores, mean: mean(scores) });
      }
      await cache.flush?.();
      const tl = testTasks.map((t) => t.label);
      console.log(`test nDCG@10 (full evaluation, held out from the search):`);
      console.log(['model', ...tl, 'mean'].join('\t'));
      for (const r of test) console.log([r.model, ...tl.map((l) => f4(r.scores[l])), f4(r.mean)].join('\t'));
    }
    if (a.out) {
      let files: string[];
      try {
        files = await writeExpertDir(a.out, chosen.record, chosen.weights);
      } catch (e) {
        throw writeFailed('the expert folder', a.out, e);
      }
      log(`wrote ${a.out}: ${files.join(', ')}`);
    }
    log(`done (${el()})`);
    if (a.json)
      console.log(
        JSON.stringify({
          method: a.method,
          strategy: a.strategy,
          budget: a.budget,
          seed: a.seed,
          pool_k: a.poolK,
          searched: result.searched,
          cancelled: result.cancelled,
          params: space.params.map((p) => p.label),
          dev: labels,
          reference,
          trials: result.trials.map((t) => ({
            index: t.index,
            x: t.x,
            scores: t.scores,
            objective: t.objective,
            seconds: t.seconds,
            ...(t.repeat ? { repeat: true } : {}),
          })),
          best: {
            index: best.index,
            x: best.x,
            scores: best.scores,
            objective: best.objective,
            recipe: best.recipe,
            label: recipeLabel(best.recipe),
          },
          test,
          ...(a.out ? { out: a.out } : {}),
        }),
      );
  } finally {
    be.destroy();
  }
}
