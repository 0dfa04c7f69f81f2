/**
 * The prompt-search requests of the worker protocol (issue 11 items 2, 4, 5): a search for a model's query
 * instruction on a dev split, its winner scored once on test, stored searches, and applying an instruction
 * to a model's query template.
 */
import type { TemplatesResult } from '../models/protocol';
import type { LlmWriterSpec } from '../synth/protocol';
import { TASK_TYPES, type PromptSearchResult, type TaskType } from '../../../prompts/search-types';
import { isTestSplitName } from '../../../data/split';
import type { BackendPref } from '../../events';
import { int, isPref, isStr, type Need } from '../../protocol-check';

export interface PromptSearchRequest {
  /** a model id (built in or imported) or "expert:<id>" */
  model: string;
  dataset: string;
  /** a judged split other than "test" (the winner's test score is a separate request, once) */
  split: string;
  taskType?: TaskType;
  /** the user's instructions, one each (trimmed; empty ones dropped) */
  candidates: string[];
  mutate: boolean;
  seed: number;
  /** the most query embeddings the search may spend */
  budget: number;
  eta?: number;
  minQueries?: number;
  /** reflective proposals (GEPA-style) by an LLM: the Synthesize tab's server, or a chat model in the studio */
  llm?: LlmWriterSpec;
  backend: BackendPref;
}

/** A finished search as stored (the Prompts panel shows the last one after a reload). */
export interface PromptSearchRecord {
  id: string;
  createdAt: string;
  /** the request without its backend and its LLM's settings (an API key is never stored) */
  request: Omit<PromptSearchRequest, 'backend' | 'llm'> & {
    /** the LLM that proposed instructions: "<server URL> (<model>)" or the studio model's id */
    llm?: string;
  };
  result: PromptSearchResult;
  /** the winner on the test split, scored once after the search (absent until asked) */
  test?: {
    split: string;
    instruction: string | null;
    ndcg10: number;
    /** 95% bootstrap interval over the test queries */
    ci: [number, number];
    queries: number;
    at: string;
  };
}

export interface PromptsRequestMap {
  'prompt-search': [PromptSearchRequest, PromptSearchRecord];
  /** the stored searches, newest first */
  'list-prompt-searches': [Record<string, never>, PromptSearchRecord[]];
  /** scores a stored search's winner on the dataset's test split; refused when it was already scored */
  'prompt-score-test': [{ search: string; backend: BackendPref }, PromptSearchRecord];
  /** puts `instruction` (null: none) into the model's query template; the model's templates after */
  'apply-prompt': [{ model: string; instruction: string | null }, TemplatesResult];
}

export const MAX_CANDIDATES = 200;

const PROMPT_LLM =
  'prompt-search llm must be { kind: "endpoint", config } (a chat-completions server) or { kind: "local", model }';

function isWriter(v: unknown): boolean {
  if (typeof v !== 'object' || v === null) return false;
  const w = v as Record<string, unknown>;
  return (
    (w.kind === 'endpoint' && typeof w.config === 'object' && w.config !== null) ||
    (w.kind === 'local' && isStr(w.model) && (w.backend === undefined || isPref(w.backend)))
  );
}

export function checkPromptsRequest(
  t: keyof PromptsRequestMap,
  m: Record<string, unknown>,
  need: Need,
): void {
  switch (t) {
    case 'prompt-search':
      need(isStr(m.model), 'prompt-search needs model: a model id or expert:<id>');
      need(isStr(m.dataset), 'prompt-search needs dataset');
      need(isStr(m.split), 'prompt-search needs split: a dev split of the dataset');
      need(
        !isStr(m.split) || !isTestSplitName(m.split),
        `prompt-search may not search on a test split (${JSON.stringify(m.split)}): choose a dev split (split the dataset in the Data tab to make one)`,
      );
      need(
        m.taskType === undefined || (TASK_TYPES as readonly unknown[]).includes(m.taskType),
        `prompt-search taskType must be one of ${TASK_TYPES.join('|')}`,
      );
      need(
        Array.isArray(m.candidates) &&
          m.candidates.length <= MAX_CANDIDATES &&
          m.candidates.every((c) => typeof c === 'string'),
        `prompt-search candidates must be a list of at most ${MAX_CANDIDATES} instructions`,
      );
      need(typeof m.mutate === 'boolean', 'prompt-search mutate must be true or false');
      need(int(m.seed, 0, 2 ** 32 - 1), 'prompt-search seed must be an integer in 0..4294967295');
      need(int(m.budget, 1, 10_000_000), 'prompt-search budget must be an integer in 1..10000000');
      need(m.eta === undefined || int(m.eta, 2, 10), 'prompt-search eta must be an integer in 2..10');
      need(
        m.minQueries === undefined || int(m.minQueries, 1, 100_000),
        'prompt-search minQueries must be an integer in 1..100000',
      );
      need(isPref(m.backend), 'prompt-search needs backend auto|webgpu|cpu');
      need(m.llm === undefined || isWriter(m.llm), PROMPT_LLM);
      return;
    case 'list-prompt-searches':
      return;
    case 'prompt-score-test':
      need(isStr(m.search), 'prompt-score-test needs search: the id of a stored search');
      need(isPref(m.backend), 'prompt-score-test needs backend auto|webgpu|cpu');
      return;
    case 'apply-prompt':
      need(isStr(m.model), 'apply-prompt needs model');
      need(
        m.instruction === null || typeof m.instruction === 'string',
        'apply-prompt instruction must be a string or null',
      );
      return;
  }
}
