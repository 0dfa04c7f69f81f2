/** The merge-search request of the worker protocol (issue 10 item 4): its types and validation. */
import type { MergeRecipe } from '../../../merge/recipe';
import { SEARCH_STRATEGIES, type SearchStrategy, type TaskScores } from '../../../merge/search/search';
import type { BackendPref } from '../../events';
import { int, isPref, isStr, type Need } from '../../protocol-check';

export interface MergeSearchRequest {
  /** ids of stored experts (one base model, adapters) */
  experts: string[];
  /** dev splits, one task each: the objective is the mean nDCG@10 over their pools */
  dev: { dataset: string; split: string }[];
  method: string;
  strategy: SearchStrategy;
  budget: number;
  seed: number;
  /** candidates per query and model in a pool (default 100) */
  poolK?: number;
  /** one density for all experts (a smaller space for the grid) */
  sharedDensity?: boolean;
  backend: BackendPref;
}

export interface MergeSearchTrial {
  index: number;
  x: number[];
  scores: TaskScores;
  objective: number;
  /** recipeLabel of the trial's recipe */
  label: string;
  repeat?: boolean;
}

export interface MergeSearchResult {
  /** what was searched (the space; for a grid its step and how much of it) */
  searched: string;
  /** the coordinates' labels, in the order of each trial's x */
  params: string[];
  /** the dev tasks, "<dataset>/<split>" */
  tasks: string[];
  /** the base's and each expert's figures on the same pools */
  reference: { model: string; scores: TaskScores }[];
  trials: MergeSearchTrial[];
  best: MergeSearchTrial & { recipe: MergeRecipe };
  /** stopped by a cancel: the trials are those done */
  cancelled: boolean;
}

export interface MergeSearchRequestMap {
  'merge-search': [MergeSearchRequest, MergeSearchResult];
}

export function checkMergeSearchRequest(
  _t: keyof MergeSearchRequestMap,
  m: Record<string, unknown>,
  need: Need,
): void {
  need(
    Array.isArray(m.experts) && m.experts.length > 0 && m.experts.every(isStr),
    'merge-search needs experts: a list of expert ids',
  );
  need(
    Array.isArray(m.dev) &&
      m.dev.length > 0 &&
      m.dev.every(
        (d) =>
          typeof d === 'object' &&
          d !== null &&
          isStr((d as Record<string, unknown>).dataset) &&
          isStr((d as Record<string, unknown>).split),
      ),
    'merge-search needs dev: a list of {dataset, split}',
  );
  need(isStr(m.method), 'merge-search needs a method');
  need(
    (SEARCH_STRATEGIES as readonly unknown[]).includes(m.strategy),
    `merge-search strategy must be ${SEARCH_STRATEGIES.join('|')}`,
  );
  need(int(m.budget, 1, 100_000), 'merge-search budget must be an integer in 1..100000');
  need(int(m.seed, 0, 2 ** 32 - 1), 'merge-search seed must be an integer in 0..4294967295');
  need(m.poolK === undefined || int(m.poolK, 1, 1024), 'merge-search poolK must be an integer in 1..1024');
  need(
    m.sharedDensity === undefined || typeof m.sharedDensity === 'boolean',
    'merge-search sharedDensity must be a boolean',
  );
  need(isPref(m.backend), 'merge-search needs backend auto|webgpu|cpu');
}
