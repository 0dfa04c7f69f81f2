/**
 * Prompt policies: how a model's or expert's queries carry a retrieval instruction. Documents never carry
 * one (the STM paper, Qwen3-Embedding, E5-instruct), so an instruction changes only the query side.
 *
 * - none:  queries are the model's plain query template (no instruction line)
 * - fixed: one instruction, always
 * - gp:    "generic prompts" GP-n: during training one of `instructions` is drawn per query (seeded by the
 *          run's seed, the step and the query's place in the batch); at inference the first is the default
 */
export type PromptKind = 'none' | 'fixed' | 'gp';

export interface PromptPolicy {
  kind: PromptKind;
  /** the query template with both {instruction} and {text}, e.g. "{instruction}\nQuery: {text}" */
  format: string;
  /** none: []; fixed: [one]; gp: n ≥ 1 distinct instructions, the first being the default */
  instructions: string[];
}

/** The STM paper's decoder query format, also used to give an instruction to a model whose template has none. */
export const PROMPT_FORMAT = '{instruction}\nQuery: {text}';

export const MAX_INSTRUCTION = 2000;

export class PromptError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PromptError';
  }
}

/** The instruction an expert or model uses by default: null for 'none'. */
export function defaultInstruction(p: PromptPolicy | undefined): string | null {
  if (!p || p.kind === 'none') return null;
  return p.instructions[0] ?? null;
}

/** Checks one instruction (`where` names it in errors); returns it trimmed. */
export function checkInstruction(instruction: string, where: string): string {
  const s = instruction.trim();
  if (!s) throw new PromptError(`${where}: the instruction is empty`);
  if (/[{}]/.test(s)) throw new PromptError(`${where}: an instruction may not contain { or }`);
  if (s.length > MAX_INSTRUCTION)
    throw new PromptError(`${where}: the instruction is longer than ${MAX_INSTRUCTION} characters`);
  return s;
}

/** Checks a policy (from a file, a request or a stored record); returns it normalised. */
export function checkPolicy(p: PromptPolicy, where = 'prompt policy'): PromptPolicy {
  if (!p || !['none', 'fixed', 'gp'].includes(p.kind))
    throw new PromptError(`${where}: kind must be none, fixed or gp`);
  if (typeof p.format !== 'string' || !p.format.includes('{instruction}') || !p.format.includes('{text}'))
    throw new PromptError(`${where}: the format needs both {instruction} and {text}`);
  const list = (p.instructions ?? []).map((s, i) => checkInstruction(s, `${where}, instruction ${i + 1}`));
  if (p.kind === 'none' && list.length) throw new PromptError(`${where}: kind none takes no instructions`);
  if (p.kind === 'fixed' && list.length !== 1)
    throw new PromptError(`${where}: kind fixed takes exactly one instruction, got ${list.length}`);
  if (p.kind === 'gp' && list.length < 1)
    throw new PromptError(`${where}: kind gp needs at least one instruction`);
  if (new Set(list).size !== list.length) throw new PromptError(`${where}: the instructions repeat`);
  return { kind: p.kind, format: p.format, instructions: list };
}

/** A short label: "no prompt", "“Given a …”", "GP-5". */
export function policyLabel(p: PromptPolicy | undefined): string {
  if (!p || p.kind === 'none') return 'no prompt';
  if (p.kind === 'fixed') return `“${p.instructions[0]}”`;
  return `GP-${p.instructions.length}`;
}
