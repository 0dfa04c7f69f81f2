/**
 * Tokenising only as much of a long text as truncation keeps (issue 8 item 11). A tokenizer that is
 * "prefix-stable at a space" gives, for a cut of the text just before a U+0020 space that follows a
 * letter or digit (spaceCut), exactly the
 * first tokens of the whole text: each tokenizer module states why it is (hf/tokenizer-cut.ts,
 * use-lite/tokenizer.ts, glove-tokenizer.ts). Since a token may cover any number of characters (an
 * unknown run, a [UNK] word), no fixed character budget is safe; instead the cut grows (×4) until it
 * yields enough tokens, so the work is proportional to the text the kept tokens come from.
 */

const LETTER_OR_DIGIT = /[\p{L}\p{N}]/u;

/**
 * The first position ≥ from holding a U+0020 space right after a letter or digit of the BMP (which no
 * normaliser removes or turns into whitespace); null if none. Never splits a surrogate pair.
 */
export function spaceCut(text: string, from: number): number | null {
  for (let p = text.indexOf(' ', Math.max(1, from)); p >= 0; p = text.indexOf(' ', p + 1)) {
    if (LETTER_OR_DIGIT.test(text[p - 1])) return p;
  }
  return null;
}

/** Characters tried first per token wanted: generous for words and sub-words, so one pass is the rule. */
const FIRST_CHARS_PER_TOKEN = 12;
const FIRST_MARGIN = 256;

/**
 * Encodes the shortest space-cut prefix of `text` whose encoding holds at least `enough(ids)` tokens,
 * or the whole text when no cut gives that many. `encode` must be prefix-stable at a space.
 */
export function encodeCut<T>(
  text: string,
  wantTokens: number,
  encode: (s: string) => T,
  enough: (encoded: T) => boolean,
): T {
  let budget = wantTokens * FIRST_CHARS_PER_TOKEN + FIRST_MARGIN;
  while (budget < text.length) {
    const p = spaceCut(text, budget);
    if (p === null) break;
    const encoded = encode(text.slice(0, p));
    if (enough(encoded)) return encoded;
    budget = p * 4;
  }
  return encode(text);
}
