/**
 * The Synthesize stage's second LLM task: a synthetic hard negative with the STM paper's prompt, the
 * cleaner that makes a model's reply usable, the guard that refuses a negative too close to its
 * positive, and the negatives (with provenance) it turns into.
 */
import type { Backend } from '../core/backend';
import { applyTemplate, type Embedder } from '../models/types';
import type { ChatMessage, TextGenerator } from './generator';
import { clip, dropThinking, PREAMBLE, unquote, type TaskSampling } from './llm-tasks';
import type { SynthItem, SynthNegative } from './types';
import { docSeed } from './text';

/** the same prompt for an item without a mined negative */
export const NEGATIVE_PROMPT_NO_MINED = 'hard-negative-nomined-v1';
export const NEGATIVE_PROMPT = 'hard-negative-v1';
export const NEGATIVE_SAMPLING: TaskSampling = { maxTokens: 512, temperature: 0.7, topP: 0.95, seed: 42 };

// ---------------------------------------------------------------- (ii) a synthetic hard negative

/**
 * The STM paper's synthetic hard-negative prompt: given the query, its positive and a mined negative,
 * write a same-domain passage with similar terminology that does NOT answer the query, harder than the
 * mined negative but not as hard as a super hard negative; raw text only.
 */
export function negativePrompt(
  query: string,
  positive: string,
  mined?: string,
  maxChars = 3000,
): ChatMessage[] {
  const minedPart = mined
    ? `Existing hard negative (a passage that does not answer the query):\n${clip(mined, maxChars)}\n\n`
    : '';
  const harder = mined
    ? 'It must be harder to tell apart from the relevant passage than the existing hard negative, but not as hard as a super hard negative'
    : 'It must be harder to tell apart from the relevant passage than a passage that merely shares its topic, but not as hard as a super hard negative';
  return [
    {
      role: 'system',
      content: 'You write passages for training a search engine. You answer with the passage text only.',
    },
    {
      role: 'user',
      content:
        `Query: ${query}\n\n` +
        `Relevant passage (answers the query):\n${clip(positive, maxChars)}\n\n` +
        minedPart +
        'Write a new passage in the same domain as the relevant passage, using similar terminology, that does ' +
        `NOT answer the query. ${harder} (one that almost answers it). Do not copy sentences from the ` +
        'relevant passage; make it about as long as the relevant passage. Output the raw passage text only: ' +
        'no title, no preamble, no explanation.',
    },
  ];
}

const LABEL =
  /^[*_#\s]*(?:(?:synthetic|new|hard|generated)\s+)*(?:negative\s+)?(?:passage|document|text|negative)[*_\s]*:[*_\s]*/i;
const INLINE_PREAMBLE =
  /^(?:(?:sure|certainly|of course|okay|ok|absolutely)[,.!]?\s*)?(?:here(?:'s|\s+is|\s+are)|below\s+is)\b[^:\n]{0,120}:\s*/i;
const NOTE_LINE = /^[*_(\s]*(?:note|explanation)[*_\s]*:/i;
const TRAILER = /^[*_(\s]*(?:note|explanation|why this|this passage|this (?:negative|document|text))\b/i;

/**
 * The passage in a model's reply: reasoning blocks, code fences, preambles ("Here is a passage:",
 * "Sure! ..."), labels ("**Passage:**"), trailing notes ("Note: this passage does not ...") and
 * surrounding quotes removed; paragraphs kept, spaces collapsed.
 */
export function cleanNegative(raw: string): string {
  // separator lines (---, ***) count as blank: they part paragraphs
  let lines = dropThinking(raw)
    .split(/\r?\n/)
    .map((l) => l.replace(/[ \t]+/g, ' ').trim())
    .map((l) => (/^(-{3,}|\*{3,}|_{3,})$/.test(l) ? '' : l));
  const trimBlank = () => {
    while (lines.length && !lines[0]) lines.shift();
    while (lines.length && !lines[lines.length - 1]) lines.pop();
  };
  trimBlank();
  // leading preamble lines: "Sure!", "Here is a passage:", "Hard negative:"
  while (lines.length > 1) {
    const l = lines[0];
    const label = l.length <= 160 && l.endsWith(':');
    const chatter = l.length <= 60 && PREAMBLE.test(l) && /[.!]$/.test(l);
    if (label || chatter) {
      lines.shift();
      trimBlank();
    } else break;
  }
  if (lines.length) lines[0] = lines[0].replace(INLINE_PREAMBLE, '').replace(LABEL, '');
  trimBlank();
  // trailing notes: a last paragraph that talks about the passage, or a labelled note on the last line
  for (;;) {
    let start = lines.length - 1;
    while (start > 0 && lines[start - 1]) start--;
    const last = lines.length - 1;
    if (start > 0 && TRAILER.test(lines[start])) lines = lines.slice(0, start);
    else if (last > 0 && NOTE_LINE.test(lines[last])) lines = lines.slice(0, last);
    else break;
    trimBlank();
  }
  const text = lines
    .join('\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
  return unquote(text.replace(/^\*\*([\s\S]*)\*\*$/, '$1'));
}

// ---------------------------------------------------------------- the guard

function wordTokens(text: string): string[] {
  return (
    text
      .toLowerCase()
      .normalize('NFKC')
      .match(/[\p{L}\p{N}]+/gu) ?? []
  );
}

/**
 * The share of the candidate's word n-grams that also occur in the reference (n shrinks to the shorter
 * text's length). Unlike Jaccard it does not fall when the reference is longer: an excerpt copied from
 * a long positive scores about 1 (Jaccard of a 400-character excerpt of a MedQuAD answer: about 0.24).
 */
export function ngramOverlap(candidate: string, reference: string, n = 3): number {
  const wa = wordTokens(candidate);
  const wb = wordTokens(reference);
  const m = Math.max(1, Math.min(n, wa.length, wb.length));
  const grams = (w: string[]) => {
    const s = new Set<string>();
    for (let i = 0; i + m <= w.length; i++) s.add(w.slice(i, i + m).join(' '));
    return s;
  };
  const ga = grams(wa);
  if (ga.size === 0) return 0;
  const gb = grams(wb);
  let shared = 0;
  for (const g of ga) if (gb.has(g)) shared++;
  return shared / ga.size;
}

export interface NegativeGuardOptions {
  /** word n-gram size (default 3) */
  n?: number;
  /** refuse when more than this share of its word n-grams occur in the positive (or the mined negative) (default 0.5) */
  maxNgramOverlap?: number;
  /** refuse when the embedder's cosine with the positive is above this (default 0.95) */
  maxCosine?: number;
  /** refuse a passage shorter than this many words (default 8) */
  minWords?: number;
  /** with a backend: the cosine check */
  embedder?: Embedder;
  backend?: Backend;
}

export const DEFAULT_GUARD = { n: 3, maxNgramOverlap: 0.5, maxCosine: 0.95, minWords: 8 } as const;

export interface GuardVerdict {
  accepted: boolean;
  /** why it was refused */
  reason?: string;
  /** share of its word n-grams found in the positive */
  ngram: number;
  /** cosine with the positive, when an embedder measured it */
  cosine?: number;
  /** the similarity recorded on the negative: the cosine when measured, else the n-gram overlap */
  score: number;
}

/** Cosine of two passages under an embedder (its rows are L2-normalised). */
export async function passageCosine(
  embedder: Embedder,
  backend: Backend,
  a: string,
  b: string,
): Promise<number> {
  const t = embedder.templates.passage;
  const v = await embedder.embed(
    backend,
    [applyTemplate(t, { text: a }), applyTemplate(t, { text: b })],
    'passage',
  );
  const d = embedder.dim;
  let dot = 0;
  for (let i = 0; i < d; i++) dot += v[i] * v[d + i];
  return dot;
}

const f3 = (x: number) => x.toFixed(3);

/** Judges a written negative against its positive (and the mined negative it was shown). */
export async function guardNegative(
  candidate: string,
  positive: string,
  opts: NegativeGuardOptions = {},
  mined?: string,
): Promise<GuardVerdict> {
  const n = opts.n ?? DEFAULT_GUARD.n;
  const maxJ = opts.maxNgramOverlap ?? DEFAULT_GUARD.maxNgramOverlap;
  const minWords = opts.minWords ?? DEFAULT_GUARD.minWords;
  const ngram = ngramOverlap(candidate, positive, n);
  const refuse = (reason: string, extra: Partial<GuardVerdict> = {}): GuardVerdict => ({
    accepted: false,
    reason,
    ngram,
    score: extra.cosine ?? ngram,
    ...extra,
  });
  const nWords = wordTokens(candidate).length;
  if (nWords < minWords) return refuse(`too short: ${nWords} words, fewer than ${minWords}`);
  if (ngram > maxJ)
    return refuse(`too close to the positive: ${f3(ngram)} of its word ${n}-grams are in it (> ${f3(maxJ)})`);
  if (mined) {
    const jm = ngramOverlap(candidate, mined, n);
    if (jm > maxJ)
      return refuse(
        `a copy of the mined negative: ${f3(jm)} of its word ${n}-grams are in it (> ${f3(maxJ)})`,
      );
  }
  if (opts.embedder && opts.backend) {
    const maxC = opts.maxCosine ?? DEFAULT_GUARD.maxCosine;
    const cosine = await passageCosine(opts.embedder, opts.backend, candidate, positive);
    if (cosine > maxC)
      return refuse(`too close to the positive: cosine ${f3(cosine)} > ${f3(maxC)} (${opts.embedder.id})`, {
        cosine,
      });
    return { accepted: true, ngram, cosine, score: cosine };
  }
  return { accepted: true, ngram, score: ngram };
}

export interface NegativeTaskOptions {
  sampling?: Partial<TaskSampling>;
  guard?: NegativeGuardOptions;
  signal?: AbortSignal;
  now?: () => Date;
}

/** A written negative the guard refused: its text, score and reason. */
export interface NegativeRejection {
  itemId: string;
  text: string;
  reason: string;
  ngram: number;
  cosine?: number;
  score: number;
}

/** The first mined negative a reviewer has not marked as a false negative. */
export function minedNegativeOf(item: SynthItem): SynthNegative | undefined {
  return item.negatives.find((x) => x.provenance.method === 'mined' && !x.falseNegative);
}

/**
 * Asks the generator for one hard negative for an item and guards it: the negative (with provenance and
 * its similarity score) or the rejection. Throws when the generator fails or the reply is empty.
 */
export async function writeNegative(
  generator: TextGenerator,
  item: SynthItem,
  opts: NegativeTaskOptions = {},
): Promise<{ negative?: SynthNegative; rejected?: NegativeRejection; raw: string }> {
  const mined = minedNegativeOf(item);
  const base = { ...NEGATIVE_SAMPLING, ...opts.sampling };
  const sampling: TaskSampling = { ...base, seed: docSeed(base.seed, item.id) };
  const res = await generator.generate(negativePrompt(item.query, item.positive, mined?.text), {
    ...sampling,
    signal: opts.signal,
    item: item.id,
  });
  const text = cleanNegative(res.text);
  if (!text)
    throw new Error(
      `item ${item.id}: the reply of ${generator.id} held no passage` +
        `${res.finish === 'length' ? ' (it stopped at the token limit)' : ''}: ${JSON.stringify(clip(res.text, 200))}`,
    );
  const verdict = await guardNegative(text, item.positive, opts.guard, mined?.text);
  if (!verdict.accepted)
    return {
      raw: res.text,
      rejected: {
        itemId: item.id,
        text,
        reason: verdict.reason ?? 'refused',
        ngram: verdict.ngram,
        ...(verdict.cosine !== undefined ? { cosine: verdict.cosine } : {}),
        score: verdict.score,
      },
    };
  const g = opts.guard ?? {};
  const negative: SynthNegative = {
    text,
    score: verdict.score,
    provenance: {
      method: 'llm',
      model: generator.id,
      settings: {
        prompt: mined ? NEGATIVE_PROMPT : NEGATIVE_PROMPT_NO_MINED,
        temperature: sampling.temperature,
        topP: sampling.topP,
        seed: sampling.seed,
        maxTokens: sampling.maxTokens,
        minedDocId: mined?.docId ?? null,
        guardNgram: g.maxNgramOverlap ?? DEFAULT_GUARD.maxNgramOverlap,
        guardCosine: g.embedder ? (g.maxCosine ?? DEFAULT_GUARD.maxCosine) : null,
        guardModel: g.embedder?.id ?? null,
        ngram: Number(f3(verdict.ngram)),
      },
      createdAt: (opts.now?.() ?? new Date()).toISOString(),
    },
  };
  return { negative, raw: res.text };
}
