/**
 * Putting a retrieval instruction into a model's query template. Only queries carry it: passages keep their
 * template, so a corpus embedded once serves every instruction (the corpus cache key has the passage
 * template, not the query's).
 */
import { DEFAULT_INSTRUCTION } from '../models/hf/embedder';
import { retemplated, type Embedder, type QueryPrompt } from '../models/types';
import { PROMPT_FORMAT, PromptError } from './policy';

/** Fills a format's {instruction}; null or '' gives the plain template. */
export function queryTemplate(p: QueryPrompt, instruction: string | null): string {
  const s = instruction?.trim() ?? '';
  if (!s) return p.plain;
  if (/[{}]/.test(s)) throw new PromptError('an instruction may not contain { or }');
  return p.format.split('{instruction}').join(s);
}

/** The format for a model whose query template has no instruction: the paper's "{instruction}\nQuery: {text}". */
export function formatAround(plain: string): string {
  if (plain.includes('{instruction}')) return plain;
  return PROMPT_FORMAT.split('{text}').join(plain);
}

/** An embedder's query prompt: its own, else read from its query template (a decoder's default instruction). */
export function queryPrompt(e: Embedder): QueryPrompt {
  if (e.prompt) return e.prompt;
  const q = e.templates.query;
  if (q.includes(DEFAULT_INSTRUCTION)) {
    const format = q.split(DEFAULT_INSTRUCTION).join('{instruction}');
    const plain = format.replace(/\{instruction\}\s*/g, '');
    return { format, plain, instruction: DEFAULT_INSTRUCTION };
  }
  return { format: formatAround(q), plain: q, instruction: null };
}

/**
 * The embedder with its queries under `instruction` (null: none). Same id and passage template, so its
 * corpus embeddings are shared; the embedder itself when nothing changes.
 */
export function withInstruction(e: Embedder, instruction: string | null): Embedder {
  const p = queryPrompt(e);
  const value = instruction?.trim() || null;
  const query = queryTemplate(p, value);
  if (query === e.templates.query && p.instruction === value) return e;
  return retemplated(e, { query, passage: e.templates.passage }, { ...p, instruction: value });
}
