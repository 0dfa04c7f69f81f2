/**
 * Instruction templates in the worker: a model's defaults, validation of a user's edit, and the wrapper
 * that makes an embedder format texts with the user's templates. The wrapper's `templates` are the
 * resolved ones, so dense.ts's corpus cache key (which includes the passage template) changes with them.
 */
import { DEFAULT_INSTRUCTION } from '../../../models/hf/embedder';
import { HfEmbedder } from '../../../models/hf/embedder';
import { OrtEmbedder } from '../../../models/ort/embedder';
import type { Embedder, TextTemplates } from '../../../models/types';
import type { ModelTemplates } from '../../../models/types';

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

/** Checks a user's templates against a model's defaults; returns them normalised. */
export function checkTemplates(t: ModelTemplates, defaults: ModelTemplates, model: string): ModelTemplates {
  const allowed = new Set(['{text}', '{title}', ...(defaults.instruction !== null ? ['{instruction}'] : [])]);
  for (const [role, s] of [
    ['query', t.query],
    ['passage', t.passage],
  ] as const) {
    if (s.length > MAX_TEMPLATE)
      throw new TemplateError(`${model}: the ${role} template is longer than ${MAX_TEMPLATE} characters`);
    if (!s.includes('{text}'))
      throw new TemplateError(`${model}: the ${role} template needs the {text} placeholder`);
    for (const m of s.matchAll(/\{[^{}\s]*\}/g)) {
      if (!allowed.has(m[0]))
        throw new TemplateError(
          `${model}: unknown placeholder ${m[0]} in the ${role} template (allowed: ${[...allowed].join(', ')})`,
        );
    }
  }
  let instruction: string | null = null;
  if (defaults.instruction !== null) {
    instruction = (t.instruction ?? '').trim();
    if (/[{}]/.test(instruction)) throw new TemplateError(`${model}: the instruction may not contain { or }`);
    if (instruction.length > MAX_TEMPLATE)
      throw new TemplateError(`${model}: the instruction is longer than ${MAX_TEMPLATE} characters`);
  } else if (t.instruction) {
    throw new TemplateError(`${model}: this model has no instruction field`);
  }
  return { query: t.query, passage: t.passage, instruction };
}

export function sameTemplates(a: ModelTemplates, b: ModelTemplates): boolean {
  return a.query === b.query && a.passage === b.passage && a.instruction === b.instruction;
}

/** The embedder formatting with `t`; the embedder itself when `t` resolves to its own templates. */
export function withTemplates(e: Embedder, t: ModelTemplates): Embedder {
  const r = resolveTemplates(t);
  if (r.query === e.templates.query && r.passage === e.templates.passage) return e;
  return {
    id: e.id,
    dim: e.dim,
    templates: r,
    embed: (backend, texts, role) => e.embed(backend, texts, role),
  };
}
