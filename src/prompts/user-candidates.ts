/**
 * User-written candidates: a text file, one instruction per line. Blank lines and lines starting with #
 * are skipped; a line an instruction may not be (braces, too long) is refused naming the file and line;
 * a repeated instruction is dropped (the first stays).
 */
import { DataError } from '../data/types';
import { checkInstruction, PromptError } from './policy';

/** The instructions of a candidates file (`file` names it in errors). */
export function parseCandidates(text: string, file: string): string[] {
  const out: string[] = [];
  const seen = new Set<string>();
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  lines.forEach((raw, i) => {
    const line = raw.trim();
    if (!line || line.startsWith('#')) return;
    let s: string;
    try {
      s = checkInstruction(line, 'candidate');
    } catch (e) {
      const why = e instanceof PromptError ? e.message.replace(/^candidate: /, '') : String(e);
      throw new DataError(
        file,
        i + 1,
        `${why}; fix or remove the line (a line starting with # is a comment)`,
      );
    }
    if (seen.has(s)) return;
    seen.add(s);
    out.push(s);
  });
  return out;
}
