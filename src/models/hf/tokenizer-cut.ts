/**
 * When a tokenizer.json pipeline is prefix-stable at a space (src/models/text-cut.ts): for a cut of the
 * text just before a U+0020 space that follows a letter or digit, the content tokens of the cut
 * are exactly the first content tokens of the whole text. Why, stage by stage (transformers.js'
 * PreTrainedTokenizer._encode_text, which must not be overridden by the tokenizer's class):
 *
 * - added tokens split the text first; none of their contents holds whitespace, so no match spans the
 *   space, and the sections before it are the same (an lstrip `\s*` cannot start at a letter);
 * - normalizers are per-character maps (BertNormalizer, Lowercase, StripAccents, single-character
 *   Replace), at-the-ends edits (Strip, Prepend) or Unicode forms (NFC/NFD/NFKC/NFKD), which have a
 *   normalisation boundary before U+0020 (combining class 0, composes with nothing before it);
 * - the pre-tokenizer puts a boundary before that space and decides the pieces before it without looking
 *   past it: BertPreTokenizer, Whitespace, WhitespaceSplit, GPT-2's ByteLevel regex and the Split
 *   patterns listed below (their only alternatives crossing whitespace start at whitespace, or, like
 *   Qwen2's `[\r\n]*` and `\s*[\r\n]+`, cross newlines only); Punctuation, Digits and a regex-less
 *   ByteLevel may follow in a Sequence (they only split pieces further or map bytes);
 * - the model (WordPiece, BPE, Unigram) encodes each piece on its own.
 */
const SPLIT_PATTERNS = new Set([
  // GPT-2 / RoBERTa
  "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+",
  // Qwen2 / Qwen3
  "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+",
  // Llama 3
  "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+",
]);

type Json = Record<string, unknown>;
const obj = (v: unknown): Json | null => (typeof v === 'object' && v !== null ? (v as Json) : null);

function localNormalizer(n: Json | null): boolean {
  if (n === null) return true;
  switch (n.type) {
    case 'BertNormalizer':
    case 'NFC':
    case 'NFD':
    case 'NFKC':
    case 'NFKD':
    case 'Lowercase':
    case 'StripAccents':
    case 'Strip':
    case 'Prepend':
      return true;
    case 'Replace': {
      const s = obj(n.pattern)?.String;
      return typeof s === 'string' && s.length === 1;
    }
    case 'Sequence':
      return Array.isArray(n.normalizers) && n.normalizers.every((m) => localNormalizer(obj(m)));
    default:
      return false;
  }
}

/** 'split': puts a boundary before the space; 'keep': keeps the boundaries it is given; 'no': neither */
function preTokenizerKind(p: Json | null): 'split' | 'keep' | 'no' {
  if (p === null) return 'no';
  switch (p.type) {
    case 'BertPreTokenizer':
    case 'Whitespace':
    case 'WhitespaceSplit':
      return 'split';
    case 'ByteLevel':
      return p.use_regex === false ? 'keep' : 'split';
    case 'Split': {
      const re = obj(p.pattern)?.Regex;
      return p.invert !== true && typeof re === 'string' && SPLIT_PATTERNS.has(re) ? 'split' : 'no';
    }
    case 'Punctuation':
    case 'Digits':
      return 'keep';
    case 'Sequence': {
      if (!Array.isArray(p.pretokenizers)) return 'no';
      const kinds = p.pretokenizers.map((m) => preTokenizerKind(obj(m)));
      if (kinds.includes('no')) return 'no';
      return kinds.includes('split') ? 'split' : 'keep';
    }
    default:
      return 'no';
  }
}

/** Whether tokenizer.json's pipeline is prefix-stable at a space (see above). */
export function cutSafePipeline(tokenizerJson: Json): boolean {
  const model = obj(tokenizerJson.model);
  if (!model || !['WordPiece', 'BPE', 'Unigram'].includes(String(model.type))) return false;
  const added = Array.isArray(tokenizerJson.added_tokens) ? tokenizerJson.added_tokens : [];
  if (added.some((t) => /\s/.test(String(obj(t)?.content ?? ' ')))) return false;
  return (
    localNormalizer(obj(tokenizerJson.normalizer)) &&
    preTokenizerKind(obj(tokenizerJson.pre_tokenizer)) === 'split'
  );
}
