/**
 * The merge feature: dev pools for chosen splits (built once, cached in the worker), live scoring of a
 * merge recipe on them (the panel cancels a superseded one), the spread over seeds of the
 * stochastic methods, and saving a merge as an expert that keeps its recipe.
 */
import { scoreOnPool } from '../../../eval/dev-pool';
import { isLoraBase } from '../../../experts/embedder';
import { expertDownload } from '../../../experts/files';
import { checkMergeable, loraOutExpert } from '../../../experts/merge';
import type { ExpertRecord } from '../../../experts/record';
import { checkRecipe, type MergeRecipe } from '../../../merge/recipe';
import { getMergeMethod } from '../../../merge/registry';
import { MergeError } from '../../../merge/types';
import { freeName } from '../../../store/names';
import { listExperts, newId, saveExpert } from '../../../store/training';
import type { Backend } from '../../../core/backend';
import type { Host } from '../../host';
import type { Feature, JobCtx } from '../feature';
import { mergeExperts } from './merged';
import {
  checkMergeRequest,
  type MergeLoraOutRequest,
  type MergeLoraOutResult,
  type MergeRequestMap,
  type MergeScoreRequest,
  type MergeScoreResult,
  type PoolRef,
} from './protocol';
import { DEFAULT_K, poolScores, workspaceOf, type MergeScope } from './workspace';

/** The base embedder and the experts (in the given order), checked to share that base and a method. */
async function scopeOf(
  host: Host,
  baseModel: string,
  ids: readonly string[],
  ctx: JobCtx,
  backend: Backend,
  signal: AbortSignal,
): Promise<MergeScope> {
  const ws = workspaceOf(host);
  const experts = await Promise.all(ids.map((id) => ws.expert(id, ctx.db)));
  checkMergeable(experts.map((e) => e.record));
  for (const e of experts)
    if (e.record.baseModel !== baseModel)
      throw new MergeError(
        `expert "${e.record.name}" is over "${e.record.baseModel}", not over the recipe's base "${baseModel}"`,
      );
  ctx.progress('load-model', 0, 1, baseModel);
  const base = await host.models.embedder(baseModel, signal);
  return { base, experts, cache: ws.baseCache(baseModel), backend };
}

/** Every expert the recipe names, once each (the same expert twice is a mistake, not a weight). */
function recipeIds(recipe: MergeRecipe): string[] {
  const ids = recipe.experts.map((e) => e.id);
  const twice = ids.find((id, i) => ids.indexOf(id) !== i);
  if (twice)
    throw new MergeError(
      `the recipe names expert "${recipe.experts.find((e) => e.id === twice)?.name}" twice`,
    );
  return ids;
}

async function poolsOf(
  host: Host,
  scope: MergeScope,
  refs: readonly PoolRef[],
  k: number,
  ctx: JobCtx,
  signal: AbortSignal,
) {
  const ws = workspaceOf(host);
  const out = [];
  for (const ref of refs) out.push(await ws.pool(ref, k, scope, ctx, signal));
  return out;
}

async function score(req: MergeScoreRequest, ctx: JobCtx, host: Host): Promise<MergeScoreResult> {
  // a newer merge-score supersedes this one: the panel cancels it (queued, it never starts)
  const signal = ctx.signal;
  checkRecipe(req.recipe);
  const ids = recipeIds(req.recipe);
  const k = req.k ?? DEFAULT_K;
  return host.backends.run(req.backend, signal, async (backend) => {
    const scope = await scopeOf(host, req.recipe.baseModel, ids, ctx, backend, signal);
    const built = await poolsOf(host, scope, req.pools, k, ctx, signal);
    const t0 = performance.now();
    const at = async (recipe: MergeRecipe) => {
      const merged = await mergeExperts(recipe, scope, 'merge:live');
      const out = [];
      try {
        for (const [i, b] of built.entries()) {
          ctx.progress('search', i, built.length, 'scoring the merge');
          out.push(poolScores(await scoreOnPool(b.pool, merged.embedder, backend, signal)));
        }
      } finally {
        merged.release?.();
      }
      return out;
    };
    const merged = await at(req.recipe);
    const ms = performance.now() - t0;
    let spread: MergeScoreResult['spread'];
    if (req.spreadSeeds?.length && getMergeMethod(req.recipe.method).stochastic) {
      const own = req.recipe.options.seed ?? 0;
      const ndcg10: number[][] = [];
      for (const seed of req.spreadSeeds) {
        const s =
          seed === own ? merged : await at({ ...req.recipe, options: { ...req.recipe.options, seed } });
        ndcg10.push(s.map((x) => x['ndcg@10']));
      }
      spread = { seeds: [...req.spreadSeeds], ndcg10 };
    }
    return { pools: built.map((b) => b.info), merged, ...(spread ? { spread } : {}), ms };
  });
}

async function save(req: MergeRequestMap['merge-save'][0], ctx: JobCtx, host: Host): Promise<ExpertRecord> {
  checkRecipe(req.recipe);
  const ids = recipeIds(req.recipe);
  return host.backends.run(req.backend, ctx.signal, async (backend) => {
    const scope = await scopeOf(host, req.recipe.baseModel, ids, ctx, backend, ctx.signal);
    ctx.progress('save', 0, 1);
    const id = newId('x');
    const merged = await mergeExperts(req.recipe, scope, id);
    const names = new Set((await listExperts(ctx.db)).map((e) => e.name));
    const record = merged.record(
      freeName(req.name.trim(), (n) => names.has(n)),
      id,
      new Date().toISOString(),
    );
    const rows = [...merged.weights].map(([name, w]) => ({ name, shape: w.shape, data: w.data }));
    await saveExpert(record, rows, ctx.db);
    return record;
  });
}

/**
 * A saved merge of LoRA experts as a LoRA again: truncated SVD of each merged ΔW at the asked rank over
 * the loaded base model (loraOutExpert), written as PEFT files; reports the energy kept per module.
 */
async function loraOut(req: MergeLoraOutRequest, ctx: JobCtx, host: Host): Promise<MergeLoraOutResult> {
  const merged = await workspaceOf(host).expert(req.expert, ctx.db);
  const { record } = merged;
  if (record.method !== 'lora' || !record.merge)
    throw new MergeError(
      `LoRA out: "${record.name}" is not a saved merge of LoRA experts (it is ${record.merge ? 'a merge' : 'an expert'} trained by ${record.method}); only a merge of LoRA experts exports as a LoRA`,
    );
  ctx.progress('load-model', 0, 1, record.baseModel);
  const base = await host.models.embedder(record.baseModel, ctx.signal);
  if (!isLoraBase(base))
    throw new MergeError(`LoRA out: the base "${base.id}" of "${record.name}" is not a model LoRA runs on`);
  const out = loraOutExpert(merged, base, { rank: req.rank }, (m, i, n) => {
    ctx.signal.throwIfAborted();
    ctx.progress('save', i + 1, n, `${m.path}: rank ${m.rank}`);
  });
  return {
    files: expertDownload(out.record, out.weights),
    modules: out.modules.map((m) => ({ path: m.path, rank: m.rank, energy: m.energy })),
  };
}

export const merge: Feature<MergeRequestMap> = {
  check: checkMergeRequest,
  routes: {
    'merge-pools': {
      queued: true,
      run: (req, ctx, host) =>
        host.backends.run(req.backend, ctx.signal, async (backend) => {
          const scope = await scopeOf(host, req.baseModel, req.experts, ctx, backend, ctx.signal);
          const built = await poolsOf(host, scope, req.pools, req.k ?? DEFAULT_K, ctx, ctx.signal);
          return built.map((b) => b.info);
        }),
    },
    'merge-score': { queued: true, run: (req, ctx, host) => score(req, ctx, host) },
    'merge-save': { queued: true, run: (req, ctx, host) => save(req, ctx, host) },
    'merge-lora-out': { queued: true, run: (req, ctx, host) => loraOut(req, ctx, host) },
  },
};
