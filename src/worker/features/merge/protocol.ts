/** Merge requests of the worker protocol (dev pools, live merge scoring, saving a merge): types and validation. */
import type { ExpertRecord } from '../../../experts/record';
import type { MergeRecipe } from '../../../merge/recipe';
import type { BackendPref } from '../../events';
import { int, isPref, isStr, type Need } from '../../protocol-check';

/** A dataset split the merge is scored on (its dev pool is built from it). */
export interface PoolRef {
  dataset: string;
  split: string;
}

/** The figures the panel shows of one model on one pool (a subset of an EvalReport's metrics). */
export const POOL_METRICS = ['ndcg@10', 'recall@10', 'mrr@10', 'recall@100'] as const;
export type PoolMetric = (typeof POOL_METRICS)[number];
export type PoolScores = Record<PoolMetric, number>;

/** One dev pool and its reference figures: the base and every expert alone, scored once per pool. */
export interface PoolInfo extends PoolRef {
  /** candidates per query and model that built the pool */
  k: number;
  queries: number;
  /** documents in the pool */
  docs: number;
  /** documents in the whole corpus */
  corpus: number;
  base: PoolScores;
  /** expert id -> its figures alone */
  experts: Record<string, PoolScores>;
}

export interface MergePoolsRequest {
  /** the base model every expert shares */
  baseModel: string;
  /** the experts (ids) whose top-k join the pools */
  experts: string[];
  pools: PoolRef[];
  /** candidates per query and model (default 100) */
  k?: number;
  backend: BackendPref;
}

export interface MergeScoreRequest {
  recipe: MergeRecipe;
  pools: PoolRef[];
  k?: number;
  backend: BackendPref;
  /** for DARE / DELLA: the merge is also scored at these seeds (the spread) */
  spreadSeeds?: number[];
}

export interface MergeScoreResult {
  pools: PoolInfo[];
  /** the merge's figures per pool, in the order of `pools` */
  merged: PoolScores[];
  /** nDCG@10 per seed (rows) and pool (columns), when spreadSeeds were given */
  spread?: { seeds: number[]; ndcg10: number[][] };
  /** milliseconds the merge and its re-scoring took (pools already built) */
  ms: number;
}

export interface MergeRequestMap {
  /** builds (or returns the cached) dev pools and the base's and each expert's figures on them */
  'merge-pools': [MergePoolsRequest, PoolInfo[]];
  /** merges by the recipe and scores the merge on the dev pools (queued and cancellable) */
  'merge-score': [MergeScoreRequest, MergeScoreResult];
  /** merges by the recipe and stores the result as an expert that keeps its recipe */
  'merge-save': [{ recipe: MergeRecipe; name: string; backend: BackendPref }, ExpertRecord];
  /** a saved merge of LoRA experts as a LoRA again (truncated SVD of each merged ΔW at `rank`): PEFT files */
  'merge-lora-out': [MergeLoraOutRequest, MergeLoraOutResult];
}

export interface MergeLoraOutRequest {
  /** the saved merge (an expert id) */
  expert: string;
  /** the LoRA's rank: singular values kept per module */
  rank: number;
}

export interface MergeLoraOutResult {
  /** the PEFT files, each named "<expert name>/<file>" */
  files: { name: string; data: ArrayBuffer }[];
  /** per module: the rank kept and the energy kept (Σ kept σ² / ‖ΔW‖_F²) */
  modules: { path: string; rank: number; energy: number }[];
}

/** The largest rank a LoRA out may ask for. */
export const MAX_LORA_OUT_RANK = 1024;
export type MergeRequestType = keyof MergeRequestMap;

function checkPools(t: string, m: Record<string, unknown>, need: Need): void {
  const pools = m.pools;
  need(
    Array.isArray(pools) &&
      pools.length > 0 &&
      pools.every(
        (p) =>
          typeof p === 'object' && p !== null && isStr((p as PoolRef).dataset) && isStr((p as PoolRef).split),
      ),
    `${t} needs pools: a non-empty list of { dataset, split }`,
  );
  need(m.k === undefined || int(m.k, 1, 10_000), `${t} k must be an integer in 1..10000`);
  need(isPref(m.backend), `${t} needs backend auto|webgpu|cpu`);
}

function checkRecipeShape(t: string, r: unknown, need: Need): void {
  const ok =
    typeof r === 'object' &&
    r !== null &&
    isStr((r as MergeRecipe).method) &&
    isStr((r as MergeRecipe).baseModel) &&
    Array.isArray((r as MergeRecipe).experts) &&
    (r as MergeRecipe).experts.every(
      (e) =>
        typeof e === 'object' &&
        e !== null &&
        isStr(e.id) &&
        typeof e.name === 'string' &&
        typeof e.params === 'object' &&
        e.params !== null,
    ) &&
    typeof (r as MergeRecipe).options === 'object' &&
    (r as MergeRecipe).options !== null;
  need(ok, `${t} needs recipe { method, baseModel, experts: [{ id, name, params }], options }`);
}

/** Validates the body of a merge request; `need` throws the ProtocolError. */
export function checkMergeRequest(t: MergeRequestType, m: Record<string, unknown>, need: Need): void {
  switch (t) {
    case 'merge-pools':
      need(isStr(m.baseModel), 'merge-pools needs baseModel');
      need(
        Array.isArray(m.experts) && m.experts.length > 0 && m.experts.every(isStr),
        'merge-pools needs experts: a non-empty list of expert ids',
      );
      checkPools(t, m, need);
      break;
    case 'merge-score':
      checkRecipeShape(t, m.recipe, need);
      checkPools(t, m, need);
      need(
        m.spreadSeeds === undefined ||
          (Array.isArray(m.spreadSeeds) &&
            m.spreadSeeds.length <= 16 &&
            m.spreadSeeds.every((s) => int(s, 0, 2 ** 32 - 1))),
        'merge-score spreadSeeds must be at most 16 unsigned 32-bit integers',
      );
      break;
    case 'merge-save':
      checkRecipeShape(t, m.recipe, need);
      need(
        typeof m.name === 'string' && m.name.trim().length > 0 && m.name.length <= 200,
        'merge-save needs a name (1..200 characters)',
      );
      need(isPref(m.backend), 'merge-save needs backend auto|webgpu|cpu');
      break;
    case 'merge-lora-out':
      need(isStr(m.expert), 'merge-lora-out needs expert (the id of a saved LoRA merge)');
      need(
        int(m.rank, 1, MAX_LORA_OUT_RANK),
        `merge-lora-out rank must be an integer in 1..${MAX_LORA_OUT_RANK}`,
      );
      break;
  }
}
