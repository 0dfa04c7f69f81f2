/** `stm prompts`'s options. */
import { isTestSplitName } from '../data/split';
import { DEFAULT_ETA, DEFAULT_MIN_QUERIES, DEFAULT_REFLECT_ROUNDS } from '../prompts/search';
import { TASK_TYPES, type TaskType } from '../prompts/search-types';
import { num, oneOf, strictOptions, UsageError } from './args';
import { llmWriterArgs, type LlmWriterArgs } from './synth-args';
import { LLM_OPTIONS, LLM_USAGE, refuseKeyOnArgv } from './synth-llm';

export const DEFAULT_PROMPT_BUDGET = 3000;

export const PROMPTS_USAGE = `  prompts search the retrieval instruction (the query prompt) that scores best on a dev split:
          successive halving over candidates, nDCG@10, the corpus embedded once; the winner's test
          score computed once, after the search, on a split it never saw
          --model <id|folder|org/name>  as for eval: a built-in id, a model or expert folder, a hub id
          --dataset <dir|demo>      BEIR folder
          --split <name>            the split searched on (default dev; a test split is refused)
          --task <type>             the candidate library's task type (and the domain mutations add):
                                    ${TASK_TYPES.slice(0, 4).join(', ')},
                                    ${TASK_TYPES.slice(4).join(', ')}
          --candidates <file>       your candidates: one instruction per line (# comments, blank lines skipped)
          --no-mutate               no rule-based mutations (rephrase, add the domain/intent, shorten)
          --budget <n>              query embeddings at most (default ${DEFAULT_PROMPT_BUDGET}; the corpus is not counted)
          --eta <n>                 halving factor: 1/eta of the candidates go on, with eta× the queries (default ${DEFAULT_ETA})
          --min-queries <n>         queries of the first rung (default ${DEFAULT_MIN_QUERIES})
          --rounds <n>              proposal rounds between rungs (mutations, LLM) (default ${DEFAULT_REFLECT_ROUNDS})
          --seed <n>                (default 42)
          --test-split <name>       score the winner (and no instruction) once on this split after the search
          --cache <file>            corpus-embedding cache on disk (as stm train --cache)
          --backend auto|cpu|webgpu (default auto)
          --json                    print one JSON object (best, baseline, tried, spent, leaderboard, test) last
          --allow-network           as for eval
        reflective LLM proposals (GEPA-style), with the options of stm synth:
${LLM_USAGE}`;

export interface PromptsArgs {
  model: string;
  dataset: string;
  split: string;
  task?: TaskType;
  candidates?: string;
  mutate: boolean;
  budget: number;
  eta: number;
  minQueries: number;
  rounds: number;
  seed: number;
  testSplit?: string;
  cache?: string;
  backend: 'auto' | 'cpu' | 'webgpu';
  json: boolean;
  allowNetwork: boolean;
  /** who writes reflective proposals: an OpenAI-compatible endpoint, a decoder run here, or none */
  writer: LlmWriterArgs;
}

const int = (name: string, x: string, min: number, max: number) => {
  const n = num(name, x, min, max);
  if (!Number.isInteger(n)) throw new UsageError(`--${name} must be a whole number, got "${x}"`);
  return n;
};

export function parsePromptsArgs(argv: string[]): PromptsArgs {
  refuseKeyOnArgv(argv);
  const str = (def?: string) => ({ type: 'string' as const, ...(def === undefined ? {} : { default: def }) });
  const v = strictOptions(argv, {
    model: str('use-lite'),
    dataset: str(),
    split: str('dev'),
    task: str(),
    candidates: str(),
    'no-mutate': { type: 'boolean', default: false },
    budget: str(String(DEFAULT_PROMPT_BUDGET)),
    eta: str(String(DEFAULT_ETA)),
    'min-queries': str(String(DEFAULT_MIN_QUERIES)),
    rounds: str(String(DEFAULT_REFLECT_ROUNDS)),
    seed: str('42'),
    'test-split': str(),
    cache: str(),
    backend: str('auto'),
    json: { type: 'boolean', default: false },
    'allow-network': { type: 'boolean', default: false },
    ...LLM_OPTIONS,
  });
  if (!v.dataset) throw new UsageError('prompts needs --dataset <dir> (a BEIR folder with a dev split)');
  const split = v.split!;
  if (isTestSplitName(split))
    throw new UsageError(
      `prompts: --split ${split} is a test split; search on a dev split (make one with \`stm split\`) and give the test split as --test-split, scored once after the search`,
    );
  const testSplit = v['test-split'];
  if (testSplit !== undefined && testSplit === split)
    throw new UsageError(
      `prompts: --test-split ${testSplit} is the split searched on; give a held-out split`,
    );
  const writer = llmWriterArgs(v);
  return {
    model: v.model!,
    dataset: v.dataset,
    split,
    task: v.task === undefined ? undefined : oneOf('task', v.task, TASK_TYPES),
    candidates: v.candidates,
    mutate: !v['no-mutate'],
    budget: int('budget', v.budget!, 1, 1e8),
    eta: num('eta', v.eta!, 1.5, 100),
    minQueries: int('min-queries', v['min-queries']!, 1, 1e6),
    rounds: int('rounds', v.rounds!, 0, 100),
    seed: int('seed', v.seed!, 0, 2 ** 32 - 1),
    testSplit,
    cache: v.cache,
    backend: oneOf('backend', v.backend!, ['auto', 'cpu', 'webgpu'] as const),
    json: v.json!,
    allowNetwork: v['allow-network']!,
    writer,
  };
}
