/**
 * `stm merge-search`: weight search for a merge of adapter experts on nDCG@10 over dev pools (src/eval/
 * dev-pool.ts), then the chosen merge — with the base and each expert beside it — scored by the full
 * evaluate() on test splits the search never saw; optionally saved as an expert folder.
 */
import { basename } from 'node:path';
import type { Backend } from '../core/backend';
import { loadBeirDir } from '../data/node';
import { qrelsOf } from '../data/qrels-check';
import type { Dataset } from '../data/types';
import { buildDevPool, scoreOnPool, type DevPool } from '../eval/dev-pool';
import { cachingEmbedder, MemoryEmbeddingCache, type EmbeddingCache } from '../eval/embed-cache';
import { FileEmbeddingCache } from '../eval/embed-cache-node';
import { evaluate } from '../eval/evaluate';
import { expertEmbedder } from '../experts/embedder';
import type { ExpertWeights } from '../experts/files';
import { readExpertDir, writeExpertDir } from '../experts/files-node';
import {
  checkMergeable,
  mergeAdapterExperts,
  mergedAdapterRecord,
  type LoadedExpert,
} from '../experts/merge';
import { resolveModelNode } from '../experts/resolve-node';
import type { Embedder } from '../models/types';
import { recipeLabel, type MergeRecipe } from '../merge/recipe';
import { runSearch, trialLine, type SearchResult, type TaskScores } from '../merge/search/search';
import { describeSpace, searchSpace } from '../merge/search/space';
import { MergeError } from '../merge/types';
import { cliBackend } from './backend';
import type { MergeSearchArgs, SplitSpec } from './merge-search-args';
import type { Reporter } from './progress';
import { checkWritableDir, writeFailed } from './writable';

interface Task {
  label: string;
  dataset: Dataset;
  split: string;
}

/** Loads each folder once; labels "<folder>/<split>", the path when two folders share a name. */
async function loadTasks(specs: readonly SplitSpec[], option: string): Promise<Task[]> {
  const sets = new Map<string, Dataset>();
  const tasks: Task[] = [];
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

/** The merge of a recipe as an expert: its weights, its record, its embedder. */
async function mergedExpert(
  recipe: MergeRecipe,
  loaded: readonly LoadedExpert[],
  base: Embedder,
  be: Backend,
  name: string,
  id: string,
): Promise<{ weights: ExpertWeights; record: ReturnType<typeof mergedAdapterRecord>; embedder: Embedder }> {
  // DISPATCH(lora-merge): LoRA experts merge through the LoRA helper's merge (issue 10 item 2) once it lands;
  // until then runMergeSearch refuses them before any work
  const weights = await mergeAdapterExperts(recipe, loaded, base.dim, be);
  const record = mergedAdapterRecord(
    recipe,
    loaded.map((e) => e.record),
    name,
    id,
    new Date().toISOString(),
  );
  return { weights, record, embedder: expertEmbedder(base, record, weights, id) };
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
  checkMergeable(loaded.map((e) => e.record));
  const first = loaded[0].record;
  if (first.method === 'lora')
    // DISPATCH(lora-merge): the LoRA merge (ΔW per linear, streamed) is issue 10 item 2's, written beside this
    throw new MergeError(
      `merge-search: ${a.experts[0]} is a LoRA expert; merge-search merges adapter experts only for now (LoRA merging is not wired into the search yet)`,
    );
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
  const experts = loaded.map((e, i) => expertEmbedder(base, e.record, e.weights, names[i]));
  const be = await cliBackend(a.backend, log);
  try {
    // the dev pools: judged docs ∪ the base's and every expert's top-k
    const pools: DevPool[] = [];
    for (const t of devTasks) {
      const pool = await buildDevPool({
        dataset: t.dataset,
        split: t.split,
        embedders: [base, ...experts],
        backend: be,
        k: a.poolK,
        onProgress: (m, n) => report.progress(`pool ${t.label}`, m, n),
      });
      pool.label = t.label;
      pools.push(pool);
      log(
        `dev pool ${t.label}: ${pool.queries.length} queries, ${pool.docs.length} of ${t.dataset.docs.length} docs (k ${a.poolK}) (${el()})`,
      );
    }
    await cache.flush?.();
    const scoreEmbedder = async (e: Embedder, signal?: AbortSignal): Promise<TaskScores> => {
      const s: TaskScores = {};
      for (const p of pools) s[p.label] = (await scoreOnPool(p, e, be, signal)).metrics['ndcg@10'];
      return s;
    };
    const mean = (s: TaskScores) => Object.values(s).reduce((x, y) => x + y, 0) / Object.values(s).length;
    const reference: { model: string; scores: TaskScores }[] = [];
    for (const [i, e] of [base, ...experts].entries()) {
      const scores = await scoreEmbedder(e);
      const model = i === 0 ? `${first.baseModel} (base)` : names[i - 1];
      reference.push({ model, scores });
      log(
        `dev ${model}: mean ${f4(mean(scores))}  ${Object.entries(scores)
          .map(([k, v]) => `${k} ${f4(v)}`)
          .join('  ')}`,
      );
    }
    let bestSeen = -Infinity;
    const result: SearchResult = await runSearch({
      space,
      strategy: a.strategy,
      budget: a.budget,
      seed: a.seed,
      gridStep: a.gridStep,
      score: async (recipe, signal) => {
        const m = await mergedExpert(recipe, loaded, base, be, 'trial', 'trial');
        return scoreEmbedder(m.embedder, signal);
      },
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
    const chosen = await mergedExpert(
      best.recipe,
      loaded,
      base,
      be,
      `merge ${recipeLabel(best.recipe)}`,
      a.out ? basename(a.out) : `merge-${a.method}`,
    );
    const test: { model: string; scores: TaskScores; mean: number }[] = [];
    if (testTasks.length > 0) {
      const models: [string, Embedder][] = [
        [`${first.baseModel} (base)`, base],
        ...experts.map((e, i): [string, Embedder] => [names[i], e]),
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
