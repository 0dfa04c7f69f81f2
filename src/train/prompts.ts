/**
 * A training run's query prompts (src/prompts/policy.ts): which instruction each query of a batch is put
 * under (fixed: the one; gp: one drawn per query, seeded by the run's seed, the step and the query's place
 * in the batch, so a resumed run repeats an uninterrupted one), and the query prompt a model trained under
 * a policy is used with afterwards (its default instruction). Passages never carry an instruction.
 */
import { retemplated, type Embedder, type QueryPrompt } from '../models/types';
import { defaultInstruction, type PromptPolicy } from '../prompts/policy';
import { queryPrompt, queryTemplate } from '../prompts/template';
import { Rng, subSeed } from '../util/rng';

/** the seed stream of the per-query draws ("prom"), apart from the batches' and dropout's */
const DRAW_STREAM = 0x70726f6d;

/** True when the policy puts queries under an instruction. */
export const prompted = (p: PromptPolicy | undefined): p is PromptPolicy =>
  !!p && p.kind !== 'none' && p.instructions.length > 0;

/** The instruction of query `i` of batch `step` (null: the base's plain query template). */
export function drawInstruction(
  policy: PromptPolicy | undefined,
  seed: number,
  step: number,
  i: number,
): string | null {
  if (!prompted(policy)) return null;
  const list = policy.instructions;
  if (policy.kind === 'fixed' || list.length === 1) return list[0];
  const r = new Rng(subSeed(subSeed(subSeed(seed, DRAW_STREAM), step), i));
  return list[r.int(list.length)];
}

/**
 * The query prompt of a model over `base` trained under `policy`: the policy's format, the base's plain
 * query template (queries with no instruction), and `instruction` (default: the policy's default).
 */
export function policyPrompt(
  base: Embedder,
  policy: PromptPolicy,
  instruction: string | null = defaultInstruction(policy),
): QueryPrompt {
  return { format: policy.format, plain: queryPrompt(base).plain, instruction };
}

/** `e` with its queries under `prompt` (templates.query filled with prompt.instruction); passages unchanged. */
export function underPrompt(e: Embedder, prompt: QueryPrompt): Embedder {
  const query = queryTemplate(prompt, prompt.instruction);
  return retemplated(e, { query, passage: e.templates.passage }, prompt);
}
