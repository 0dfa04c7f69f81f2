/**
 * A prompt policy from a text file (`stm train --prompts file.txt`): one instruction per line, `#` comments
 * and blank lines skipped. One instruction → fixed; several → GP over them (the first is the default).
 * And the `--prompts` argument itself: none | gp:<n> | a file.
 */
import { genericPolicy } from './generic';
import { checkPolicy, MAX_INSTRUCTION, PROMPT_FORMAT, PromptError, type PromptPolicy } from './policy';

/** Parses a policy file's text; a bad line throws a PromptError naming file:line. */
export function parsePolicyFile(text: string, file: string, format = PROMPT_FORMAT): PromptPolicy {
  const list: string[] = [];
  const seen = new Map<string, number>();
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.trim();
    if (!line || line.startsWith('#')) return;
    const at = `${file}:${i + 1}`;
    if (/[{}]/.test(line)) throw new PromptError(`${at}: an instruction may not contain { or }`);
    if (line.length > MAX_INSTRUCTION)
      throw new PromptError(`${at}: the instruction is longer than ${MAX_INSTRUCTION} characters`);
    if (seen.has(line))
      throw new PromptError(`${at}: the instruction repeats line ${seen.get(line)}; give each once`);
    seen.set(line, i + 1);
    list.push(line);
  });
  if (list.length === 0)
    throw new PromptError(`${file}: holds no instruction (one per line; # starts a comment)`);
  return checkPolicy({ kind: list.length === 1 ? 'fixed' : 'gp', format, instructions: list }, file);
}

/**
 * A `--prompts` value: "none" (undefined: no policy), "gp:<n>" (the first n generic instructions), or a
 * file read by `readText` (one instruction per line).
 */
export async function policyFromArg(
  value: string,
  format: string,
  readText: (file: string) => Promise<string>,
): Promise<PromptPolicy | undefined> {
  if (value === 'none') return undefined;
  const gp = /^gp:(\d+)$/.exec(value);
  if (gp) return checkPolicy(genericPolicy(Number(gp[1]), format), `--prompts ${value}`);
  if (/^gp:/.test(value)) throw new PromptError(`--prompts ${value}: gp:<n> needs a whole number n`);
  return parsePolicyFile(await readText(value), value, format);
}
