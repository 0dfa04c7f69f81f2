/**
 * Instruction templates in the worker: a model's defaults, validation of a user's edit, and the wrapper
 * that makes an embedder format texts with the user's templates. The wrapper's `templates` are the
 * resolved ones, so dense.ts's corpus cache key (which includes the passage template) changes with them.
 */
import { DEFAULT_INSTRUCTION } from '../../../models/hf/embedder';
import { HfEmbedder } from '../../../models/hf/embedder';
import { OrtEmbedder } from '../../../models/ort/embedder';
import { retemplated, type Embedder, type QueryPrompt, type TextTemplates } from '../../../models/types';
import type { ModelTemplates } from '../../../models/types';
import { formatAround, queryPrompt } from '../../../prompts/template';

export class TemplateError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TemplateError';
  }
}

const MAX_TEMPLATE = 2000;

/** True for decoder models, whose query format carries an instruction. */
function isDecoder(e: Embedder): boolean {
  return (
    (e instanceof HfEmbedder && e.config.family === 'decoder') ||
    (e instanceof OrtEmbedder && e.pooling === 'last')
  );
}

/** A loaded model's own templates, with its instruction pulled out into {instruction} for decoders. */
export function defaultTemplates(e: Embedder): ModelTemplates {
  const { query, passage } = e.templates;
  if (!isDecoder(e)) return { query, passage, instruction: null };
  return {
    query: query.split(DEFAULT_INSTRUCTION).join('{instruction}'),
    passage,
    instruction: DEFAULT_INSTRUCTION,
  };
}

/** Fills {instruction}: what the embedder's `templates` become. */
export function resolveTemplates(t: ModelTemplates): TextTemplates {
  const fill = (s: string) => (t.instruction === null ? s : s.split('{instruction}').join(t.instruction));
  return { query: fill(t.query), passage: fill(t.passage) };
}

/**
 * Checks a user's templates against a model's defaults; returns them normalised. Any model may carry an
 * {instruction} placeholder (a searched prompt, src/prompts): a model without one by default gets its
 * instruction only through that placeholder.
 */
export function checkTemplates(t: ModelTemplates, defaults: ModelTemplates, model: string): ModelTemplates {
  const allowed = ['{text}', '{title}', '{instruction}'];
  for (const [role, s] of [
    ['query', t.query],
    ['passage', t.passage],
  ] as const) {
    if (s.length > MAX_TEMPLATE)
      throw new TemplateError(`${model}: the ${role} template is longer than ${MAX_TEMPLATE} characters`);
    if (!s.includes('{text}'))
      throw new TemplateError(`${model}: the ${role} template needs the {text} placeholder`);
    for (const m of s.matchAll(/\{[^{}\s]*\}/g)) {
      if (!allowed.includes(m[0]))
        throw new TemplateError(
          `${model}: unknown placeholder ${m[0]} in the ${role} template (allowed: ${allowed.join(', ')})`,
        );
    }
  }
  const placeholder = t.query.includes('{instruction}') || t.passage.includes('{instruction}');
  let instruction: string | null = null;
  if (defaults.instruction !== null || placeholder) {
    instruction = (t.instruction ?? '').trim();
    if (/[{}]/.test(instruction)) throw new TemplateError(`${model}: the instruction may not contain { or }`);
    if (instruction.length > MAX_TEMPLATE)
      throw new TemplateError(`${model}: the instruction is longer than ${MAX_TEMPLATE} characters`);
    if (defaults.instruction === null && !instruction)
      throw new TemplateError(
        `${model}: the template has an {instruction} placeholder but the instruction is empty: write one, or take {instruction} out of the template`,
      );
  } else if (t.instruction?.trim()) {
    throw new TemplateError(
      `${model}: the instruction is used only through an {instruction} placeholder: put one in the query template (e.g. "{instruction}\\nQuery: {text}")`,
    );
  }
  return { query: t.query, passage: t.passage, instruction };
}

/**
 * The templates with queries under `instruction` (null: none): a query template with an {instruction}
 * placeholder keeps it; one without gets the paper's format around it (formatAround). Passages are kept.
 * No instruction gives the plain query template.
 */
export function templatesWithInstruction(
  current: ModelTemplates,
  defaults: ModelTemplates,
  instruction: string | null,
): ModelTemplates {
  const s = instruction?.trim() || null;
  if (s === null) {
    // no instruction: the plain query template (a decoder keeps an empty instruction field); a format put
    // around a model's own template (formatAround) gives that template back
    const own = defaults.instruction === null && current.query === formatAround(defaults.query);
    const query = own ? defaults.query : stripInstruction(current.query);
    return { ...current, query, instruction: defaults.instruction !== null ? '' : null };
  }
  if (current.query.includes('{instruction}')) return { ...current, instruction: s };
  return { ...current, query: formatAround(current.query), instruction: s };
}

/** A template with its {instruction} placeholder (and the white space after it) taken out. */
function stripInstruction(query: string): string {
  return query.replace(/\{instruction\}\s*/g, '');
}

export function sameTemplates(a: ModelTemplates, b: ModelTemplates): boolean {
  return a.query === b.query && a.passage === b.passage && a.instruction === b.instruction;
}

/**
 * The embedder formatting with `t`; the embedder itself when `t` resolves to its own templates. A query
 * template with an {instruction} placeholder gives the wrapper its QueryPrompt, so evaluation reports and
 * the prompt search know the instruction the queries run under.
 */
export function withTemplates(e: Embedder, t: ModelTemplates): Embedder {
  const r = resolveTemplates(t);
  if (r.query === e.templates.query && r.passage === e.templates.passage) return e;
  let prompt: QueryPrompt | undefined;
  if (t.query.includes('{instruction}')) {
    // the model's own plain template when the format is its own (a decoder's, or one put around its template)
    const own = queryPrompt(e);
    const plain = own.format === t.query ? own.plain : stripInstruction(t.query);
    prompt = { format: t.query, plain, instruction: t.instruction?.trim() || null };
  }
  return retemplated(e, r, prompt);
}
