/**
 * Pseudo-queries without an LLM, for any corpus:
 * - 'ict' (inverse cloze task, Lee et al. 2019): a sentence of the document (or a span of a long one)
 *   is the query; the positive is the document without that sentence (its title kept).
 * - 'title': the document's title when it has one, then key-phrase queries (RAKE-style phrases scored
 *   by tf-idf over the corpus); the positive is the whole document.
 * Deterministic by seed: each document has its own random stream (seed × doc id), so a document's
 * queries do not depend on the corpus order or on the other documents.
 *
 * Deduplication (on normalised text: lowercase letters and digits): the same query twice for one
 * document is kept once; the same query for two or more documents is dropped for all of them, since a
 * query with several positives would make the other document a false in-batch negative in training.
 */
import type { Doc } from '../data/types';
import { Rng } from '../util/rng';
import { Idf, keyPhrases, phraseQuery } from './keyphrases';
import { docSeed, normaliseQuery, splitSentences, words } from './text';
import type { Provenance, SynthItem } from './types';

export interface PseudoOptions {
  method: 'ict' | 'title';
  /** queries written per document (at most; a short document may give fewer) */
  perDoc: number;
  /** documents with fewer words (title and text) are skipped */
  minDocWords: number;
  /** query length in words; a title longer than max is cut at max, a shorter one than min is kept */
  queryWords: { min: number; max: number };
  seed: number;
}

export const DEFAULT_PSEUDO: PseudoOptions = {
  method: 'ict',
  perDoc: 1,
  minDocWords: 30,
  queryWords: { min: 4, max: 20 },
  seed: 42,
};

/** The document as one passage, as the trainer's docText (src/train/data.ts) writes it: title line, text. */
function docText(d: Doc): string {
  return d.title.trim() ? `${d.title.trim()}\n${d.text}` : d.text;
}

/** A query for a document before deduplication. */
interface Draft {
  query: string;
  positive: string;
  extra: Record<string, string | number>;
  score?: number;
}

/** Checks the options; a bad one throws an Error naming it. */
export function checkPseudoOptions(o: PseudoOptions): void {
  const int = (v: number, name: string, min: number): void => {
    if (!Number.isInteger(v) || v < min) throw new Error(`${name} must be an integer >= ${min}, got ${v}`);
  };
  if (o.method !== 'ict' && o.method !== 'title')
    throw new Error(`method must be 'ict' or 'title', got '${String(o.method)}'`);
  int(o.perDoc, 'perDoc', 1);
  int(o.minDocWords, 'minDocWords', 0);
  int(o.queryWords.min, 'queryWords.min', 1);
  int(o.queryWords.max, 'queryWords.max', o.queryWords.min);
  if (!Number.isInteger(o.seed)) throw new Error(`seed must be an integer, got ${o.seed}`);
}

function randInt(rng: Rng, lo: number, hi: number): number {
  return lo + rng.int(hi - lo + 1);
}

/** ICT drafts for one document. */
function ictDrafts(d: Doc, o: PseudoOptions, rng: Rng): Draft[] {
  const { min, max } = o.queryWords;
  const title = d.title.trim();
  const normTitle = normaliseQuery(title);
  const sentences = splitSentences(d.text);
  if (sentences.length < 2) return [];
  const cands = sentences
    .map((s, i) => ({ s, i }))
    .filter(({ s }) => words(s.text).length >= min && normaliseQuery(s.text) !== normTitle);
  rng.shuffle(cands);
  const out: Draft[] = [];
  for (const { s, i } of cands) {
    if (out.length >= o.perDoc) break;
    const w = words(s.text);
    let query = s.text;
    if (w.length > max) {
      const len = randInt(rng, min, max);
      const at = rng.int(w.length - len + 1);
      query = w.slice(at, at + len).join(' ');
    }
    // a bullet before the sentence goes with it
    const before = d.text
      .slice(0, s.start)
      .replace(/\s[-•*]\s*$/, '')
      .trimEnd();
    const rest = (before + ' ' + d.text.slice(s.end).trimStart()).trim();
    if (words(rest).length < min) continue;
    const positive = title ? `${title}\n${rest}` : rest;
    // a sentence repeated in the document (or the title) would leave the answer in the positive
    if (normaliseQuery(positive).includes(normaliseQuery(query))) continue;
    out.push({ query, positive, extra: { sentence: i, sentenceWords: w.length } });
  }
  return out;
}

/** Title and key-phrase drafts for one document. */
function titleDrafts(d: Doc, o: PseudoOptions, rng: Rng, idf: Idf): Draft[] {
  const { min, max } = o.queryWords;
  const positive = docText(d);
  const out: Draft[] = [];
  const seen = new Set<string>();
  const title = d.title.trim();
  if (title) {
    const query = words(title).slice(0, max).join(' ');
    if (normaliseQuery(query)) {
      out.push({ query, positive, extra: { source: 'title' } });
      seen.add(normaliseQuery(query));
    }
  }
  const phrases = keyPhrases(d.text, idf);
  for (let attempt = 0; out.length < o.perDoc && attempt < 4 * o.perDoc; attempt++) {
    const q = phraseQuery(phrases, randInt(rng, min, max), max, rng);
    if (!q || q.text.split(' ').length < Math.min(min, 2)) break;
    const key = normaliseQuery(q.text);
    if (seen.has(key)) continue;
    seen.add(key);
    out.push({ query: q.text, positive, extra: { source: 'keyphrases' }, score: q.score });
  }
  return out;
}

/**
 * Writes pseudo-queries for a corpus: one SynthItem per query ('pending', no negatives), ids
 * `${docId}#${k}`, in corpus order. onProgress reports documents done.
 */
export function pseudoQueries(
  docs: readonly Doc[],
  set: string,
  opts: PseudoOptions,
  onProgress?: (done: number, total: number) => void,
): SynthItem[] {
  checkPseudoOptions(opts);
  const createdAt = new Date().toISOString();
  const settings = {
    perDoc: opts.perDoc,
    minDocWords: opts.minDocWords,
    queryMinWords: opts.queryWords.min,
    queryMaxWords: opts.queryWords.max,
    seed: opts.seed,
  };
  let idf: Idf | null = null;
  if (opts.method === 'title') {
    idf = new Idf();
    for (const d of docs) idf.add(d.text);
  }
  const drafts: { doc: Doc; k: number; draft: Draft }[] = [];
  const every = Math.max(1, Math.floor(docs.length / 100));
  docs.forEach((d, n) => {
    if (words(d.title).length + words(d.text).length >= opts.minDocWords) {
      const rng = new Rng(docSeed(opts.seed, d.id));
      const list = idf ? titleDrafts(d, opts, rng, idf) : ictDrafts(d, opts, rng);
      list.forEach((draft, k) => drafts.push({ doc: d, k, draft }));
    }
    if (onProgress && ((n + 1) % every === 0 || n + 1 === docs.length)) onProgress(n + 1, docs.length);
  });

  // dedup: once per document; dropped when two documents share it (see the file comment)
  const docsOf = new Map<string, Set<string>>();
  for (const { doc, draft } of drafts) {
    const key = normaliseQuery(draft.query);
    let s = docsOf.get(key);
    if (!s) docsOf.set(key, (s = new Set()));
    s.add(doc.id);
  }
  const kept = new Set<string>();
  const out: SynthItem[] = [];
  for (const { doc, k, draft } of drafts) {
    const key = normaliseQuery(draft.query);
    if (docsOf.get(key)!.size > 1 || kept.has(`${doc.id}\u0000${key}`)) continue;
    kept.add(`${doc.id}\u0000${key}`);
    const provenance: Provenance = {
      method: opts.method,
      settings: { ...settings, ...draft.extra },
      createdAt,
    };
    const item: SynthItem = {
      id: `${doc.id}#${k}`,
      set,
      docId: doc.id,
      query: draft.query,
      positive: draft.positive,
      negatives: [],
      provenance,
      status: 'pending',
    };
    if (draft.score !== undefined) item.score = draft.score;
    out.push(item);
  }
  return out;
}
