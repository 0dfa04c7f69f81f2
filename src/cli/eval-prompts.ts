/**
 * `stm eval --prompt`: which query instruction(s) a dense model is evaluated under. none, default, an
 * expert's k-th training instruction, the user's own, or each (no prompt, then each of its instructions).
 */
import type { Embedder } from '../models/types';
import { expertPolicy } from '../experts/embedder';
import { checkInstruction } from '../prompts/policy';
import { queryPrompt, withInstruction } from '../prompts/template';
import { UsageError } from './args';

/** The instructions a model or expert has: an expert's policy's, else the model's own default (if any). */
export function ownInstructions(e: Embedder): string[] {
  const policy = expertPolicy(e);
  if (policy && policy.kind !== 'none') return [...policy.instructions];
  const own = queryPrompt(e).instruction;
  return own ? [own] : [];
}

/** The embedders to evaluate for a --prompt value, each with the instruction it runs under (null: none). */
export function promptVariants(
  e: Embedder,
  prompt: string | undefined,
): { instruction: string | null; embedder: Embedder }[] {
  const list = ownInstructions(e);
  const under = (i: string | null) => ({ instruction: i, embedder: withInstruction(e, i) });
  if (prompt === undefined || prompt === 'default')
    return [{ instruction: queryPrompt(e).instruction, embedder: e }];
  if (prompt === 'none') return [under(null)];
  if (prompt === 'each') return [under(null), ...list.map(under)];
  if (/^\d+$/.test(prompt)) {
    const k = Number(prompt);
    if (k < 1 || k > list.length)
      throw new UsageError(
        list.length === 0
          ? `--prompt ${prompt}: ${e.id} has no instructions of its own (give none, default or an instruction in quotes)`
          : `--prompt ${prompt}: ${e.id} has ${list.length} instruction(s); give 1..${list.length}`,
      );
    return [under(list[k - 1])];
  }
  try {
    return [under(checkInstruction(prompt, '--prompt'))];
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}
