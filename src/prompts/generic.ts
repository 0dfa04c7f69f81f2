/**
 * Generic retrieval instructions for GP-n training ("generic prompts": n instructions, one drawn at random
 * per query, as the STM paper trains some experts). Task-neutral on purpose: they name retrieval, not a domain.
 */
import { PROMPT_FORMAT, PromptError, type PromptPolicy } from './policy';

export const GENERIC_INSTRUCTIONS: readonly string[] = [
  'Given a query, retrieve relevant passages',
  'Given a question, retrieve passages that answer the question',
  'Retrieve documents that are relevant to the search query',
  'Find the passage that best answers this question',
  'Given a search query, find documents that contain the information asked for',
  'Represent this query for retrieving relevant documents',
  'Given a user request, retrieve the texts that satisfy it',
  'Retrieve the most relevant paragraphs for the following query',
  'Given a short question, find a longer passage that responds to it',
  'Search for documents matching the information need of this query',
  'Given a query, retrieve supporting evidence from a text collection',
  'Find texts on the same topic that answer the query',
];

/** GP-n: the first n generic instructions. */
export function genericPolicy(n: number, format = PROMPT_FORMAT): PromptPolicy {
  if (!Number.isInteger(n) || n < 1 || n > GENERIC_INSTRUCTIONS.length)
    throw new PromptError(`gp:<n> needs n in 1..${GENERIC_INSTRUCTIONS.length}, got ${n}`);
  return { kind: 'gp', format, instructions: GENERIC_INSTRUCTIONS.slice(0, n) };
}
