/**
 * Reflective proposals in the manner of GEPA: the model is shown the current best instruction and a few dev
 * queries it fails on (lowest nDCG@10), each with a relevant passage and the passage wrongly ranked first,
 * and is asked for one better instruction. The reply is parsed leniently (labels, quotes, bullets and a
 * thinking block stripped; the first real line kept) and refused when it cannot be an instruction; a
 * refused reply or a failed request is reported, never thrown (a cancel is).
 */
import type { ChatMessage, TextGenerator } from '../synth/generator';
import { checkInstruction, PromptError } from './policy';

export interface FailedQuery {
  query: string;
  ndcg10: number;
  /** a relevant passage (the highest-graded), truncated */
  relevant: string | null;
  /** the passage ranked first, not relevant, truncated */
  wrong: string | null;
}

/** characters of a passage shown to the model */
export const PASSAGE_CHARS = 400;
/** longest instruction a proposal may be */
export const MAX_PROPOSAL = 300;

export const truncate = (s: string, n = PASSAGE_CHARS) => (s.length <= n ? s : `${s.slice(0, n).trimEnd()}…`);

export function reflectMessages(current: string | null, failures: readonly FailedQuery[]): ChatMessage[] {
  const examples = failures
    .map(
      (f, i) =>
        `Example ${i + 1} (nDCG@10 ${f.ndcg10.toFixed(2)})\nQuery: ${f.query}\n` +
        `Relevant passage: ${f.relevant ?? '(none shown)'}\n` +
        `Passage wrongly ranked first: ${f.wrong ?? '(none)'}`,
    )
    .join('\n\n');
  return [
    {
      role: 'system',
      content:
        'You improve the task instruction of a text-embedding retriever. The instruction is put before each ' +
        'query; documents carry none. Reply with the new instruction only: one line, no quotes, no explanation.',
    },
    {
      role: 'user',
      content:
        `Current instruction: ${current ?? '(none)'}\n\n` +
        `Queries it retrieves badly for:\n\n${examples}\n\n` +
        'Write one better instruction (one sentence, in the style "Given a …, retrieve …") that would make the ' +
        'retriever rank the relevant passages first.',
    },
  ];
}

export type ParsedReflection = { instruction: string } | { error: string };

/** The instruction in a model's reply, or why there is none. */
export function parseReflection(reply: string): ParsedReflection {
  const text = reply.replace(/<think>[\s\S]*?(<\/think>|$)/gi, '');
  const lines = text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l && !/^```/.test(l));
  let line: string | undefined;
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i]
      .replace(/^(\d+[.)]|[-*•>])\s+/, '')
      .replace(
        /^\**\s*(new |improved |better |revised )?(instruction|prompt|answer)\s*\**\s*[:：-]\s*\**/i,
        '',
      )
      .trim();
    if (l) {
      line = l;
      break;
    }
  }
  if (line === undefined) return { error: 'the reply is empty' };
  const s = line
    .replace(/^["'“‘`*]+|["'”’`*]+$/g, '')
    .replace(/\s+/g, ' ')
    .trim();
  if (!s) return { error: 'the reply is empty' };
  if (s.length > MAX_PROPOSAL) return { error: `the reply is longer than ${MAX_PROPOSAL} characters` };
  try {
    return { instruction: checkInstruction(s, 'reply') };
  } catch (e) {
    if (e instanceof PromptError) return { error: e.message.replace(/^reply: /, '') };
    throw e;
  }
}

export interface ReflectOptions {
  current: string | null;
  failures: readonly FailedQuery[];
  seed: number;
  temperature?: number;
  maxTokens?: number;
  signal?: AbortSignal;
}

/** One proposal from the generator: the instruction, or the error with the reply it came from. */
export async function proposeReflective(
  generator: TextGenerator,
  o: ReflectOptions,
): Promise<ParsedReflection & { reply?: string }> {
  let reply: string;
  try {
    const r = await generator.generate(reflectMessages(o.current, o.failures), {
      maxTokens: o.maxTokens ?? 96,
      temperature: o.temperature ?? 0.7,
      topP: 0.95,
      seed: o.seed,
      signal: o.signal,
      item: 'prompt-reflection',
    });
    reply = r.text;
  } catch (e) {
    if ((e as Error).name === 'AbortError' || o.signal?.aborted) throw e;
    return { error: `${generator.id}: ${(e as Error).message}` };
  }
  return { ...parseReflection(reply), reply };
}
