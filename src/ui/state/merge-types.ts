import type { DatasetGroup } from '../../data/group';
/** The Merge part of the UI store: its types (the slice's code is merge.ts, its figures merge-figures.ts). */
import type { ExpertRecord } from '../../experts/record';
import type { MergeRecipe } from '../../merge/recipe';
import type { JobProgress } from '../../worker/client';
import type { MergeSearchRequest, MergeSearchResult } from '../../worker/features/merge-search/protocol';
import type { MergeLoraOutResult, MergeScoreResult, PoolRef } from '../../worker/features/merge/protocol';

/** the dataset's group (src/data/group.ts): one setting for the Merge tab and the dashboard */
export type Domain = DatasetGroup;

/** One expert's slider values (kept for every expert, ticked or not, so a re-tick restores them). */
export interface MergeExpertParams {
  weight: number;
  density: number;
  gamma: number;
  epsilon: number;
}

/** What the sliders say: the part of the panel that undo/redo walks through. */
export interface MergeDraft {
  method: string;
  /** the ticked experts, in tick order */
  picked: string[];
  params: Record<string, MergeExpertParams>;
  lambda: number;
  seed: number;
  /** slerp's interpolation factor */
  t: number;
  /** switches set by the user; an absent one takes the method's default (reset when the method changes) */
  flags: Partial<Record<MergeFlag, boolean>>;
  /** the merged model's query instruction: a text, null for none; absent: the first ticked expert's default */
  instruction?: string | null;
}

/** The on/off global parameters of the methods. */
export type MergeFlag = 'normalize' | 'rescale' | 'filterWise' | 'normalizeWeights';

export interface MergeScoreState {
  /**
   * idle: nothing to score; pending: a change waits for the debounce (the figures shown are stale);
   * building: dev pools are being built; scoring: a re-score is in flight
   */
  status: 'idle' | 'pending' | 'building' | 'scoring' | 'done' | 'error';
  /** why nothing is scored (idle) or what failed (error) */
  message: string | null;
  /** the last figures (kept, marked stale, while a re-score runs) */
  result: MergeScoreResult | null;
  /** the pools the result's figures are over, in order */
  pools: PoolRef[];
  /** the key of the recipe + pools the result belongs to */
  key: string | null;
}

/** The full-split evaluation of a saved merge (the Evaluate tab's runs). */
export interface MergeFullEval {
  expert: string;
  rows: { dataset: string; split: string; ndcg10: number; docs: number; runId: string }[];
}

export interface MergeSlice {
  mergeDraft: MergeDraft;
  mergePast: MergeDraft[];
  mergeFuture: MergeDraft[];
  /** the dev splits the merge is scored on */
  mergePools: PoolRef[];
  /** candidates per query and model in a dev pool */
  mergeK: number;
  /** a refusal to show beside the expert list (e.g. an expert of another base) */
  mergeNotice: string | null;
  mergeScore: MergeScoreState;
  /** the merge saved last in this session */
  mergeSaved: ExpertRecord | null;
  mergeFull: MergeFullEval | null;

  /** the panel opened: the first dataset's dev (else default) split is chosen once, and a score scheduled */
  mergeOpen(): void;
  mergeToggleExpert(id: string): void;
  mergeSetMethod(method: string): void;
  mergeSetParam(id: string, key: keyof MergeExpertParams, value: number): void;
  mergeSetGlobal(key: 'lambda' | 'seed' | 't', value: number): void;
  mergeSetFlag(key: MergeFlag, value: boolean): void;
  /** the merge's query instruction (undefined: the first ticked expert's default) */
  mergeSetInstruction(value: string | null | undefined): void;
  mergeUndo(): void;
  mergeRedo(): void;
  mergeTogglePool(ref: PoolRef): void;
  mergeSetK(k: number): void;
  /** puts a saved merge's recipe back on the sliders */
  mergeLoadRecipe(expertId: string): void;
  /** puts a recipe (a search's choice, an imported YAML) on the sliders (one undo step; `control` names it) */
  mergeApplyRecipe(recipe: MergeRecipe, control?: string): void;
  /** starts a weight search in the worker (the MergeSearch card shows its progress and trials) */
  mergeSearchStart(
    req: MergeSearchRequest,
    onProgress: (p: JobProgress) => void,
  ): { promise: Promise<MergeSearchResult>; cancel: () => void };
  /** re-scores after the debounce (every change calls it) */
  mergeSchedule(): void;
  mergeSave(name: string): Promise<ExpertRecord | undefined>;
  /** evaluates the saved merge on the whole of every chosen split (stored as Evaluate runs) */
  mergeEvaluateFull(expertId: string): Promise<void>;
  /** a saved merge of LoRA experts as a LoRA of `rank` (PEFT files, energy kept per module) */
  mergeLoraOut(expertId: string, rank: number): Promise<MergeLoraOutResult | undefined>;
}
