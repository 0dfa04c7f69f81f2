/**
 * The Synthesize stage's first LLM task on any TextGenerator: write k search queries for a document —
 * the prompt, the parser that makes a model's reply usable, and the items (with provenance) it turns
 * into — plus what both tasks share (sampling settings, clipping, reasoning blocks dropped). The second
 * task, a synthetic hard negative, is in llm-negatives.ts.
 */
import type { Doc } from '../data/types';
import type { ChatMessage, GenerateOptions, TextGenerator } from './generator';
import type { Provenance, SynthItem } from './types';
import { docText } from '../data/pairs';
import { docSeed, normaliseQuery } from './text';

export const QUERY_PROMPT = 'queries-v1';

/** Sampling settings of a task (the signal and item name are the task's own). */
export type TaskSampling = Omit<GenerateOptions, 'signal' | 'item'>;

export const QUERY_SAMPLING: TaskSampling = { maxTokens: 320, temperature: 0.7, topP: 0.95, seed: 42 };

export function clip(text: string, maxChars: number): string {
  const t = text.trim();
  if (t.length <= maxChars) return t;
  const cut = t.slice(0, maxChars);
  const sp = cut.lastIndexOf(' ');
  return `${sp > maxChars * 0.8 ? cut.slice(0, sp) : cut} …`;
}

/** Removes `<think>…</think>` blocks (reasoning models); an unclosed one at the start takes all. */
export function dropThinking(raw: string): string {
  let t = raw.replace(/<think>[\s\S]*?<\/think>/gi, '');
  if (/^\s*<think>/i.test(t)) t = '';
  return t.replace(/```[a-z]*\n?/gi, '');
}

// ---------------------------------------------------------------- (i) queries for a document

export function queryPrompt(doc: Doc, k: number, maxDocChars = 3000): ChatMessage[] {
  const title = doc.title.trim() ? `Title: ${doc.title.trim()}\n` : '';
  return [
    {
      role: 'system',
      content: 'You write realistic search queries for a retrieval system. You answer with the queries only.',
    },
    {
      role: 'user',
      content:
        `Document:\n${title}${clip(doc.text, maxDocChars)}\n\n` +
        `Write ${k} different short search ${k === 1 ? 'query' : 'queries'} that a user would type into a search ` +
        'engine and that this document answers. Mix questions and keyword queries, 3 to 15 words each, in ' +
        "the user's own words: do not copy sentences from the document. " +
        `Write one query per line: no numbering, no quotes, no other text.`,
    },
  ];
}

/** The first sentence of a text (up to . ! ? followed by a space, or a line break). */
function firstSentence(text: string): string {
  return text.trim().split(/(?<=[.!?])\s+|\n+/)[0] ?? '';
}

export const PREAMBLE = /^(here\s+(are|is)|sure|certainly|of course|okay|ok|absolutely|below\s+(are|is))\b/i;
const LIST_MARK =
  /^(?:[-*•·–—>]+\s*|\(?\d{1,3}\s*[.):\]](?=\s|$)\s*|\d{1,3}\s+-\s+|[a-z][.)]\s+|(?:query|q)\s*\d*\s*[:.)-]\s*)/i;
const QUOTES: [string, string][] = [
  ['"', '"'],
  ["'", "'"],
  ['“', '”'],
  ['‘', '’'],
  ['`', '`'],
  ['«', '»'],
];

export function unquote(s: string): string {
  let t = s.trim();
  for (let changed = true; changed;) {
    changed = false;
    for (const [a, b] of QUOTES)
      if (t.length >= 2 && t.startsWith(a) && t.endsWith(b)) {
        t = t.slice(a.length, t.length - b.length).trim();
        changed = true;
      }
  }
  return t;
}

/**
 * The queries in a model's reply, at most k: one per line, numbering, bullets, bold, quotes and preamble
 * lines ("Here are 3 queries:") removed; blank lines, duplicates (same words ignoring case and
 * punctuation), lines too long to be a query (> maxWords words) and a query equal to the document's
 * first sentence (or its whole text) dropped.
 */
export function parseQueries(raw: string, k: number, doc?: Doc, maxWords = 32): string[] {
  const banned = new Set<string>();
  if (doc) {
    banned.add(normaliseQuery(firstSentence(doc.text)));
    banned.add(normaliseQuery(doc.text));
  }
  const seen = new Set<string>();
  const out: string[] = [];
  for (const line of dropThinking(raw).split(/\r?\n/)) {
    let q = line.trim();
    if (!q) continue;
    if (q.endsWith(':') || (PREAMBLE.test(q) && /[:!]$|queries|query/i.test(q))) continue;
    for (let prev = ''; prev !== q;) {
      prev = q;
      q = q.replace(/^\*\*(.*)\*\*$/, '$1').replace(/^__(.*)__$/, '$1');
      q = q.replace(LIST_MARK, '').trim();
      q = unquote(q);
    }
    q = q.replace(/\s+/g, ' ').replace(/[,;]$/, '').trim();
    const key = normaliseQuery(q);
    if (!key || banned.has(key) || seen.has(key)) continue;
    if (key.split(' ').length > maxWords) continue;
    seen.add(key);
    out.push(q);
    if (out.length === k) break;
  }
  return out;
}

export interface QueryTaskOptions {
  /** queries per document */
  k: number;
  /** the set the items go into */
  set: string;
  sampling?: Partial<TaskSampling>;
  /** the document is cut to this many characters in the prompt (default 3000) */
  maxDocChars?: number;
  signal?: AbortSignal;
  /** the time recorded in provenance (default now) */
  now?: () => Date;
}

/** Items `${doc.id}#llm-${j}` for the queries a model wrote for a document. */
export function queryItems(
  doc: Doc,
  queries: readonly string[],
  meta: { set: string; model: string; sampling: TaskSampling; k: number; createdAt: string },
): SynthItem[] {
  const provenance: Provenance = {
    method: 'llm',
    model: meta.model,
    settings: {
      prompt: QUERY_PROMPT,
      k: meta.k,
      temperature: meta.sampling.temperature,
      topP: meta.sampling.topP,
      seed: meta.sampling.seed,
      maxTokens: meta.sampling.maxTokens,
    },
    createdAt: meta.createdAt,
  };
  const positive = docText(doc);
  return queries.map((query, j) => ({
    id: `${doc.id}#llm-${j}`,
    set: meta.set,
    docId: doc.id,
    query,
    positive,
    negatives: [],
    provenance: { ...provenance, settings: { ...provenance.settings } },
    status: 'pending',
  }));
}

/** Asks the generator for k queries for one document; throws when the reply holds none. */
export async function writeQueries(
  generator: TextGenerator,
  doc: Doc,
  opts: QueryTaskOptions,
): Promise<{ items: SynthItem[]; raw: string }> {
  const base = { ...QUERY_SAMPLING, ...opts.sampling };
  const sampling: TaskSampling = { ...base, seed: docSeed(base.seed, doc.id) };
  const res = await generator.generate(queryPrompt(doc, opts.k, opts.maxDocChars), {
    ...sampling,
    signal: opts.signal,
    item: doc.id,
  });
  const queries = parseQueries(res.text, opts.k, doc);
  if (queries.length === 0)
    throw new Error(
      `doc ${doc.id}: the reply of ${generator.id} held no usable query` +
        `${res.finish === 'length' ? ' (it stopped at the token limit)' : ''}: ${JSON.stringify(clip(res.text, 200))}`,
    );
  const createdAt = (opts.now?.() ?? new Date()).toISOString();
  return {
    items: queryItems(doc, queries, { set: opts.set, model: generator.id, sampling, k: opts.k, createdAt }),
    raw: res.text,
  };
}
