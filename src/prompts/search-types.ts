/**
 * The prompt search's contract (src/prompts/search.ts implements it; the CLI, the worker and the Prompts
 * panel use it): successive halving over instruction candidates on a dev split, nDCG@10 per query,
 * re-embedding only queries (the corpus is embedded once: documents carry no instruction).
 */
import type { Backend } from '../core/backend';
import type { Dataset } from '../data/types';
import type { EmbeddingCache } from '../eval/embed-cache';
import type { Embedder } from '../models/types';
import type { TextGenerator } from '../synth/generator';

/** Task types of the candidate library (src/prompts/library.ts). */
export const TASK_TYPES = [
  'medical-qa',
  'consumer-health',
  'biomedical-literature',
  'claim-verification',
  'argument-retrieval',
  'scientific-search',
  'duplicate-questions',
  'web-search',
] as const;
export type TaskType = (typeof TASK_TYPES)[number];

export type CandidateOrigin = 'baseline' | 'current' | 'library' | 'user' | 'mutation' | 'llm';

export interface PromptCandidate {
  /** stable within a search: "c0", "c1", … in the order candidates were made */
  id: string;
  /** null: the plain query template (no instruction) */
  instruction: string | null;
  origin: CandidateOrigin;
  /** the candidate a mutation or an LLM proposal was made from */
  parent?: string;
  /** mutations: which rule ("rephrase", "add-domain", "add-intent", "shorten"); library: the task type */
  note?: string;
}

export interface PromptScore {
  candidate: PromptCandidate;
  /** mean nDCG@10 over the queries it was scored on (its last rung) */
  ndcg10: number;
  /** 95% bootstrap interval of that mean over queries (seeded, 1000 resamples) */
  ci: [number, number];
  /** queries it was scored on at its last rung */
  queries: number;
  /** the last successive-halving rung it reached (0-based) */
  rung: number;
}

export interface PromptSearchProgress {
  phase: 'embed-corpus' | 'propose' | 'score';
  rung: number;
  rungs: number;
  /** candidates scored in this rung / to score in it */
  done: number;
  total: number;
  /** query embeddings spent so far / the budget */
  spent: number;
  budget: number;
  /** the leaderboard so far, best first */
  leaderboard: PromptScore[];
}

export interface PromptSearchOptions {
  embedder: Embedder;
  backend: Backend;
  dataset: Dataset;
  /** the judged split searched on; 'test' is refused (the winner's test score is computed once, after) */
  split: string;
  /** candidates besides the baseline (no instruction) and the embedder's current instruction */
  candidates: readonly PromptCandidate[];
  /** task type for the library's candidates and the domain mutation (default: none, only given candidates) */
  taskType?: TaskType;
  /** rule-based mutations of the best candidates (default true) */
  mutate?: boolean;
  /** reflective LLM proposals (GEPA-style) when a generator is configured */
  generator?: TextGenerator;
  /** proposal rounds between rungs, mutations and LLM alike (default 2) */
  reflectRounds?: number;
  /** the generator's sampling temperature (default 0.7) */
  temperature?: number;
  seed: number;
  /** the most query embeddings the search may spend (corpus embeddings not counted) */
  budget: number;
  /** successive-halving factor: 1/eta of the candidates survive a rung, with eta× the queries (default 3) */
  eta?: number;
  /** queries at the first rung (default 50, at most the split's) */
  minQueries?: number;
  cache?: EmbeddingCache;
  signal?: AbortSignal;
  onProgress?: (p: PromptSearchProgress) => void;
}

export interface PromptSearchResult {
  dataset: string;
  split: string;
  seed: number;
  model: string;
  best: PromptScore;
  /** no instruction, on the same queries as the best */
  baseline: PromptScore;
  /** candidates scored at least once */
  tried: number;
  /** query embeddings spent */
  spent: number;
  leaderboard: PromptScore[];
  /** queries per rung: the successive-halving schedule (the last is the split's judged queries) */
  schedule?: number[];
  /** why the search ended before its schedule did (the budget); absent: it ran to the end */
  stopped?: string;
  /** LLM proposals that were skipped (a bad reply or a failed request), with why */
  skipped?: { parent: string; error: string; reply?: string }[];
}
