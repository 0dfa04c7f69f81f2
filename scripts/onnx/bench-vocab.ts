/**
 * Vocabularies for the bench's full-size random models, built from the texts they will read so that a
 * text splits into about as many tokens as under a real trained tokenizer (a word or word piece per token,
 * not a letter or byte per token): WordPiece words for the MiniLM shape, byte-level BPE chains for Qwen3.
 */
import { bytesToUnicode, EOS, IM_END, IM_START } from './tiny-qwen3';
import { TINY_BERT_VOCAB } from './tiny-bert';

/** the `n` most frequent items, ties by first appearance */
function mostFrequent(items: Iterable<string>, n: number): string[] {
  const counts = new Map<string, number>();
  for (const it of items) counts.set(it, (counts.get(it) ?? 0) + 1);
  return [...counts.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, n)
    .map(([w]) => w);
}

/**
 * The tiny WordPiece vocabulary (specials, punctuation, digits, letters, ##letters) plus the most frequent
 * lower-cased words of `texts`, then "[unusedN]" fillers up to `size` tokens.
 */
export function wordPieceVocab(texts: readonly string[], size: number): string[] {
  const tokens = [...TINY_BERT_VOCAB];
  const have = new Set(tokens);
  const words = function* () {
    for (const t of texts) for (const m of t.toLowerCase().matchAll(/[a-z]{2,}/g)) yield m[0];
  };
  for (const w of mostFrequent(words(), size)) {
    if (tokens.length >= size) break;
    if (have.has(w)) continue;
    tokens.push(w);
    have.add(w);
  }
  for (let i = 0; tokens.length < size; i++) tokens.push(`[unused${i}]`);
  return tokens;
}

/**
 * Byte-level BPE whose merges spell the most frequent ASCII pre-tokens of `texts` (" word" as "Ġword",
 * letters only) one letter at a time, every "Ġ" chain ranked before the others and shorter prefixes before
 * longer, so each listed piece ends as one token. Tokens: the 256 bytes, merge results, then <|endoftext|>,
 * <|im_start|>, <|im_end|>; at most `maxTokens` in all.
 */
export function bpeVocab(
  texts: readonly string[],
  maxTokens: number,
): { vocab: Record<string, number>; merges: string[]; eosId: number } {
  const pieces = function* () {
    for (const t of texts) for (const m of t.matchAll(/ ?[A-Za-z]+/g)) yield m[0].replace(' ', 'Ġ');
  };
  const byteTokens = bytesToUnicode();
  const budget = maxTokens - byteTokens.length - 3;
  const chosen = new Set<string>(); // every prefix (length >= 2) of a chosen piece
  for (const p of mostFrequent(pieces(), budget)) {
    let added = 0;
    for (let k = 2; k <= p.length; k++) if (!chosen.has(p.slice(0, k))) added++;
    if (chosen.size + added > budget) break;
    for (let k = 2; k <= p.length; k++) chosen.add(p.slice(0, k));
  }
  const ranked = [...chosen].sort(
    (a, b) =>
      Number(b.startsWith('Ġ')) - Number(a.startsWith('Ġ')) || a.length - b.length || (a < b ? -1 : 1),
  );
  const vocab: Record<string, number> = {};
  byteTokens.forEach((ch, i) => (vocab[ch] = i));
  const merges: string[] = [];
  for (const tok of ranked) {
    vocab[tok] = byteTokens.length + merges.length;
    merges.push(`${tok.slice(0, -1)} ${tok.slice(-1)}`);
  }
  const eosId = byteTokens.length + merges.length;
  vocab[EOS] = eosId;
  vocab[IM_START] = eosId + 1;
  vocab[IM_END] = eosId + 2;
  return { vocab, merges, eosId };
}
