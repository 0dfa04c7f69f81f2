import type { MergeRecipe } from '../merge/recipe';
import type { PromptPolicy } from '../prompts/policy';
import type { ReviewPolicy } from '../synth/types';
import type { TrainConfig, TrainMethod, TrainProgress } from '../train/types';

/** A named expert: base model + trained weights + the recipe that produced them. */
export interface ExpertRecord {
  id: string;
  name: string;
  baseModel: string;
  method: TrainMethod;
  config: TrainConfig;
  data: { source: string; pairs: number; negatives: string; synth?: ExpertSynthSource };
  templates: { query: string; passage: string };
  createdAt: string;
  history: TrainProgress[];
  metrics?: Record<string, number>;
  /**
   * The leakage guard's fingerprints (src/data/fingerprint.ts) of the distinct training queries and
   * positives. Absent in records written before they were kept: what it was trained on is then unknown.
   */
  fingerprints?: ExpertFingerprints;
  /**
   * The query instruction chosen for this expert after training (the Prompts tab's "Use this prompt"),
   * used instead of its policy's default; null: no instruction; absent: the policy's default.
   */
  instruction?: string | null;
  /** set when the expert is a merge of other experts (src/experts/merge.ts): the recipe that made it */
  merge?: MergeRecipe;
  /**
   * the query prompt policy it was trained (or merged) under: its queries are embedded under the policy's
   * default instruction (src/experts/embedder.ts). Absent (older records, runs without prompts): none.
   */
  prompts?: PromptPolicy;
}

/** A synthetic set an expert was trained on: the set, the review policy, and the set's counts then. */
export interface ExpertSynthSource {
  set: string;
  name: string;
  policy: ReviewPolicy;
  /** the set's items by review status when the run started */
  counts: { total: number; pending: number; accepted: number; rejected: number };
  /** the items the policy let through (the run's pairs before mining) */
  used: number;
}

export interface ExpertFingerprints {
  /** FINGERPRINT_SCHEME when written; another scheme is treated as unknown */
  scheme: string;
  queries: string[];
  positives: string[];
}

/** The model id under which an expert is evaluated in the studio (and its corpus embeddings cached). */
export const EXPERT_PREFIX = 'expert:';
export const expertModelId = (id: string) => `${EXPERT_PREFIX}${id}`;
