/**
 * Key phrases of a document, RAKE-style (Rose et al. 2010): candidate phrases are the runs of words
 * between stopwords and punctuation; each is scored by the tf-idf of its words over the corpus (a word's
 * count in the document times ln(N / df)), summed over the phrase.
 */
import { Rng } from '../util/rng';

/** A general English stop list for phrase boundaries (Lucene's set plus common function words). */
const STOP = new Set(
  (
    'a about above after again against all also although am among an and any are as at be because been ' +
    'before being below between both but by can could did do does doing down during each either etc ' +
    'few for from further had has have having he her here hers herself him himself his how however i ' +
    'if in into is it its itself just may me might more most much must my myself no nor not now of ' +
    'off on once one only or other our ours ourselves out over own per same shall she should since so ' +
    'some such than that the their theirs them themselves then there these they this those through ' +
    'thus to too under until up upon us used using very via was we were what whereas when where whether which ' +
    'while who whom whose why will with within without would yet you your yours yourself yourselves'
  ).split(' '),
);

/** Phrase-breaking punctuation; words themselves are runs of letters, digits and inner - ' / */
const TOKEN = /[\p{L}\p{N}]+(?:[-'/][\p{L}\p{N}]+)*|[.,;:!?()[\]{}"]/gu;

export interface Phrase {
  /** the words as written in the document, lowercased */
  words: string[];
  /** the phrase's first position (token index) in the document, for ordering */
  pos: number;
  score: number;
}

/** Longest phrase kept; longer runs are cut into pieces of at most this many words. */
export const MAX_PHRASE_WORDS = 4;

function isKeyword(w: string): boolean {
  return w.length > 1 && !STOP.has(w) && /\p{L}/u.test(w);
}

/** Candidate phrases of a text in order: runs of keywords, cut at stopwords, punctuation and 4 words. */
export function candidatePhrases(text: string): { words: string[]; pos: number }[] {
  const out: { words: string[]; pos: number }[] = [];
  let run: string[] = [];
  let runPos = 0;
  let i = 0;
  const flush = (): void => {
    for (let k = 0; k < run.length; k += MAX_PHRASE_WORDS)
      out.push({ words: run.slice(k, k + MAX_PHRASE_WORDS), pos: runPos + k });
    run = [];
  };
  for (const m of text.toLowerCase().matchAll(TOKEN)) {
    const w = m[0];
    if (isKeyword(w)) {
      if (run.length === 0) runPos = i;
      run.push(w);
    } else flush();
    i++;
  }
  flush();
  return out;
}

/** Document frequencies of keywords over a corpus, for idf. */
export class Idf {
  private readonly df = new Map<string, number>();
  private n = 0;

  add(text: string): void {
    this.n++;
    const seen = new Set<string>();
    for (const p of candidatePhrases(text)) for (const w of p.words) seen.add(w);
    for (const w of seen) this.df.set(w, (this.df.get(w) ?? 0) + 1);
  }

  /** ln(N / df), at least 0; an unseen word counts as df 1 */
  idf(word: string): number {
    return Math.max(0, Math.log(this.n / (this.df.get(word) ?? 1)));
  }
}

/** The document's distinct phrases, best first (score, then earlier position). */
export function keyPhrases(text: string, idf: Idf): Phrase[] {
  const cands = candidatePhrases(text);
  const tf = new Map<string, number>();
  for (const p of cands) for (const w of p.words) tf.set(w, (tf.get(w) ?? 0) + 1);
  const byKey = new Map<string, Phrase>();
  for (const c of cands) {
    const key = c.words.join(' ');
    if (byKey.has(key)) continue;
    const score = c.words.reduce((s, w) => s + (tf.get(w) ?? 0) * idf.idf(w), 0);
    byKey.set(key, { words: c.words, pos: c.pos, score });
  }
  return [...byKey.values()].filter((p) => p.score > 0).sort((a, b) => b.score - a.score || a.pos - b.pos);
}

/**
 * A keyword query of about `target` words (never over `max`): phrases drawn from the best `pool` by
 * score-weighted sampling without replacement (each adding only its words
 * not in yet), put back
 * in document order.
 */
export function phraseQuery(
  phrases: readonly Phrase[],
  target: number,
  max: number,
  rng: Rng,
  pool = 12,
): { text: string; score: number } | null {
  const left = phrases.slice(0, pool);
  const picked: Phrase[] = [];
  const have = new Set<string>();
  let n = 0;
  while (n < target && left.length > 0) {
    const total = left.reduce((s, p) => s + p.score, 0);
    let r = rng.next() * total;
    let j = 0;
    while (j < left.length - 1 && r >= left[j].score) r -= left[j++].score;
    const p = left.splice(j, 1)[0];
    // only the words not in yet: "fetal plasma collected" after "fetal plasma levels" adds "collected"
    const fresh = p.words.filter((w, k) => !have.has(w) && p.words.indexOf(w) === k);
    if (fresh.length === 0 || n + fresh.length > max) continue;
    picked.push({ ...p, words: fresh });
    for (const w of fresh) have.add(w);
    n += fresh.length;
  }
  if (picked.length === 0) return null;
  picked.sort((a, b) => a.pos - b.pos);
  return {
    text: picked.map((p) => p.words.join(' ')).join(' '),
    score: picked.reduce((s, p) => s + p.score, 0) / picked.length,
  };
}
