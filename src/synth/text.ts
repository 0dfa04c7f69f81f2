/**
 * Text pieces the pseudo-query methods share: sentences, words, a normal form for deduplication, and a
 * stable per-document seed.
 */

/** A sentence of a document with its place in the text. */
export interface Sentence {
  text: string;
  /** index of its first character in the text */
  start: number;
  /** index one past its last character */
  end: number;
}

/**
 * Splits text into sentences at `.`, `!`, `?` (or `;`) followed by white space, and at line breaks or
 * " - " bullets (the bullet itself is not part of the sentence). Handles both "word . next" (MEDLINE, Cranfield) and "word. Next" (MedQuAD) styles.
 */
export function splitSentences(text: string): Sentence[] {
  const out: Sentence[] = [];
  const re = /(?:(?<=[.!?;])\s+|\n+|\s+(?=-\s))(?:[-•*]\s+)?/g;
  let start = 0;
  const push = (end: number): void => {
    const raw = text.slice(start, end);
    const lead = raw.length - raw.trimStart().length;
    const t = raw.trim();
    if (t) out.push({ text: t, start: start + lead, end: start + lead + t.length });
  };
  for (let m = re.exec(text); m !== null; m = re.exec(text)) {
    push(m.index);
    start = m.index + m[0].length;
  }
  push(text.length);
  return out;
}

/** Words as a person counts them: runs of non-space characters that hold a letter or digit. */
export function words(text: string): string[] {
  return text.split(/\s+/).filter((w) => /[\p{L}\p{N}]/u.test(w));
}

/** The form two queries are compared in: lowercase letters and digits, single spaces. */
export function normaliseQuery(text: string): string {
  return text
    .toLowerCase()
    .normalize('NFKC')
    .split(/[^\p{L}\p{N}]+/u)
    .filter(Boolean)
    .join(' ');
}

/** FNV-1a of a string, mixed with a seed: each document's own random stream, whatever the corpus order. */
export function docSeed(seed: number, docId: string): number {
  let h = (0x811c9dc5 ^ seed) >>> 0;
  for (let i = 0; i < docId.length; i++) {
    h ^= docId.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b) >>> 0;
  return (h ^ (h >>> 13)) >>> 0;
}
