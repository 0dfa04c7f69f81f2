/**
 * Rule-based mutations of an instruction, deterministic by seed: where a rule has several ways to apply,
 * the seeded random source picks one. Each returns null when it does not apply (or changes nothing).
 *
 * - rephrase:   template rewordings ("Given a X, retrieve Y" ↔ "Retrieve Y for the given X", find ↔ retrieve)
 * - add-domain: the task type's domain in place of a generic noun ("a question" → "a medical question")
 * - add-intent: "that answer(s) the question" after what is retrieved
 * - shorten:    drop a relative clause, an adjective or the leading "Given …," clause
 */
import { Rng } from '../util/rng';
import { withArticle } from '../util/words';
import { TASK_DOMAINS } from './library';
import type { TaskType } from './search-types';

export const MUTATION_RULES = ['rephrase', 'add-domain', 'add-intent', 'shorten'] as const;
export type MutationRule = (typeof MUTATION_RULES)[number];

export interface Mutation {
  instruction: string;
  rule: MutationRule;
}

const cap = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);
const uncap = (s: string) => s.charAt(0).toLowerCase() + s.slice(1);
const tidy = (s: string) =>
  s
    .replace(/\s+/g, ' ')
    .replace(/\s+([,.])/g, '$1')
    .replace(/[,\s]+$/, '')
    .trim();
const pick = <T>(xs: readonly T[], rng: Rng): T | null => (xs.length ? xs[rng.int(xs.length)] : null);
/** distinct results that differ from `s` and keep at least two words */
const fresh = (s: string, xs: string[]) =>
  [...new Set(xs.map((x) => cap(tidy(x))))].filter((x) => x !== s && x.split(' ').length >= 2);

const GIVEN = /^Given (an? |the )?(.+?), (retrieve|find|return|search for|rank) (.+)$/i;
const VERB_FIRST =
  /^(Retrieve|Find|Return|Search for) (.+?) (?:for|to|matching) (?:the following |this |the given |a |an |the )?([^,]+)$/i;
const OBJECT =
  /\b(passages?|documents?|texts?|answers?|abstracts?|articles?|paragraphs?|pages?|papers?|questions?|arguments?|evidence|information)\b/i;
const ADJECTIVES =
  /\b(most |very )?(relevant|related|appropriate|short|long|following|best|medical|clinical|scientific|biomedical|technical|specific|plain-language|semantically|previously asked)\b ?/gi;

function rephrase(s: string, rng: Rng): string | null {
  const out: string[] = [];
  const g = GIVEN.exec(s);
  if (g) {
    const [, , what, verb, rest] = g;
    const mention = new RegExp(`\\bthe ${what.split(' ').pop()}\\b`, 'i');
    if (/\b(it|them)$/i.test(rest))
      out.push(`${cap(verb)} ${rest.replace(/\b(it|them)$/i, `the given ${what}`)}`);
    else if (mention.test(rest)) out.push(`${cap(verb)} ${rest.replace(mention, `the given ${what}`)}`);
    else {
      out.push(`${cap(verb)} ${rest} for the given ${what}`);
      out.push(`${cap(verb)} ${rest} for this ${what}`);
    }
    const other = /^retrieve$/i.test(verb) ? 'find' : 'retrieve';
    out.push(`Given ${withArticle(what)}, ${other} ${rest}`);
  }
  const v = VERB_FIRST.exec(s);
  if (v) {
    const [, verb, obj, what] = v;
    out.push(`Given ${withArticle(what)}, ${uncap(verb)} ${obj}`);
    out.push(`${/^retrieve$/i.test(verb) ? 'Find' : 'Retrieve'} ${obj} for the following ${what}`);
  }
  if (!g && !v) {
    if (/^retrieve /i.test(s)) out.push(s.replace(/^retrieve /i, 'Find '));
    else if (/^find /i.test(s)) out.push(s.replace(/^find /i, 'Retrieve '));
  }
  return pick(fresh(s, out), rng);
}

function addDomain(s: string, task: TaskType | undefined, rng: Rng): string | null {
  if (!task) return null;
  const d = TASK_DOMAINS[task];
  if (new RegExp(`\\b${d.key}`, 'i').test(s)) return null;
  const out: string[] = [];
  const q = /\b(an? |the |this )(search )?(query|question|request)\b/i;
  if (q.test(s))
    out.push(
      s.replace(q, (_m, art: string) => (/^an? $/i.test(art) ? withArticle(d.query) : `${art}${d.query}`)),
    );
  const p = /\b(relevant )?(passages|documents|texts|paragraphs)\b/i;
  if (p.test(s)) out.push(s.replace(p, d.passage));
  if (!out.length && !/ from /i.test(s)) out.push(`${s} from ${d.passage}`);
  return pick(fresh(s, out), rng);
}

function addIntent(s: string): string | null {
  if (/answers? (the|this|it|a) (question|query)|answers? it\b/i.test(s)) return null;
  // the object after the verb ("retrieve passages"), not the query's noun in a "Given a question," clause
  const verb = /\b(retrieve|find|return|search for|rank)\b/i.exec(s);
  const from = verb ? verb.index + verb[0].length : 1;
  const m = OBJECT.exec(s.slice(from));
  if (!m) return null;
  let at = from + m.index + m[0].length;
  let word = m[0];
  // the last noun of a run ("paper abstracts")
  for (
    let next = /^ (\w+)/.exec(s.slice(at));
    next && OBJECT.test(next[1]);
    next = /^ (\w+)/.exec(s.slice(at))
  ) {
    at += next[0].length;
    word = next[1];
  }
  const plural = /s$/i.test(word) && !/^(evidence|information)$/i.test(word);
  const clause = ` that ${plural ? 'answer' : 'answers'} the question`;
  return tidy(s.slice(0, at) + clause + (at < s.length ? s.slice(at).replace(/^ that [^,]*/, '') : ''));
}

function shorten(s: string, rng: Rng): string | null {
  const out: string[] = [];
  out.push(s.replace(/ (that|which|who) [^,]*/i, ''));
  const adjectives = [...s.matchAll(ADJECTIVES)];
  for (const a of adjectives) out.push(s.slice(0, a.index) + s.slice(a.index! + a[0].length));
  const g = /^Given [^,]+, (.+)$/i.exec(s);
  if (g) out.push(cap(g[1]));
  out.push(s.replace(/ (for|from|in|on|about) [^,]*$/i, ''));
  return pick(
    fresh(s, out).filter((x) => x.length < s.length),
    rng,
  );
}

/** One rule applied to an instruction (null: it does not apply). */
export function mutateOne(
  instruction: string,
  rule: MutationRule,
  opts: { task?: TaskType; seed: number },
): string | null {
  const rng = new Rng(opts.seed);
  const s = tidy(instruction);
  if (!s) return null;
  const r =
    rule === 'rephrase'
      ? rephrase(s, rng)
      : rule === 'add-domain'
        ? addDomain(s, opts.task, rng)
        : rule === 'add-intent'
          ? addIntent(s)
          : shorten(s, rng);
  return r && r !== s && !/[{}]/.test(r) ? r : null;
}

/** Every rule that applies to an instruction, in rule order (each rule with its own sub-seed). */
export function mutations(instruction: string, opts: { task?: TaskType; seed: number }): Mutation[] {
  const out: Mutation[] = [];
  MUTATION_RULES.forEach((rule, k) => {
    const m = mutateOne(instruction, rule, { task: opts.task, seed: (opts.seed + 7919 * (k + 1)) >>> 0 });
    if (m && !out.some((o) => o.instruction === m)) out.push({ instruction: m, rule });
  });
  return out;
}
