/**
 * Word tokenizer for the static GloVe model: NFKC, lowercase, words of letters/digits (with inner
 * hyphens, apostrophes or dots kept when the vocabulary knows the compound, split otherwise).
 * Each known token gets a SIF weight a / (a + p(w)) (Arora et al. 2017) with p(w) from the word's
 * frequency rank under Zipf's law, so pooling is a smooth-inverse-frequency weighted mean.
 *
 * A long text is read in windows that end before a space, tab or newline and stops at maxTokens (issue 8
 * item 11): NFKC has a boundary before those characters (combining class 0, composing with nothing before
 * them), lower-casing looks past a word only for a final sigma, which sees whitespace or the end alike, and
 * a word never holds whitespace, so the windows give the tokens of the whole text, in order.
 */
const WORD = /[\p{L}\p{N}]+(?:['’.-][\p{L}\p{N}]+)*/gu;
const PART = /[\p{L}\p{N}]+/gu;

/** The first space, tab, CR or LF at or after `from` (text.length when none). */
function whitespaceAtOrAfter(text: string, from: number): number {
  for (let i = from; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 32 || c === 9 || c === 10 || c === 13) return i;
  }
  return text.length;
}

export interface GloveTokens {
  ids: number[];
  weights: number[];
}

export interface GloveTokenizerOptions {
  /** at most this many known tokens per text (default 512) */
  maxTokens?: number;
  /** SIF smoothing a (default 1e-3); 0 gives a plain (unweighted) mean */
  sifA?: number;
  /** vocabulary size of the source the ranks come from (for Zipf's normaliser) */
  sourceVocabSize: number;
}

export class GloveTokenizer {
  private readonly index = new Map<string, number>();
  private readonly weight: Float32Array;
  readonly maxTokens: number;

  constructor(vocab: readonly string[], opts: GloveTokenizerOptions) {
    vocab.forEach((w, i) => {
      if (!this.index.has(w)) this.index.set(w, i);
    });
    this.maxTokens = opts.maxTokens ?? 512;
    const a = opts.sifA ?? 1e-3;
    const harmonic = Math.log(opts.sourceVocabSize) + 0.5772156649;
    this.weight = new Float32Array(vocab.length);
    for (let i = 0; i < vocab.length; i++) {
      const p = 1 / ((i + 1) * harmonic);
      this.weight[i] = a > 0 ? a / (a + p) : 1;
    }
  }

  get vocabSize(): number {
    return this.weight.length;
  }

  idOf(word: string): number | undefined {
    return this.index.get(word);
  }

  /** The known tokens of text, at most maxTokens; `windowed: false` normalises the whole text at once. */
  tokenize(text: string, windowed = true): GloveTokens {
    const ids: number[] = [];
    const weights: number[] = [];
    const push = (w: string): boolean => {
      const id = this.index.get(w);
      if (id === undefined) return false;
      ids.push(id);
      weights.push(this.weight[id]);
      return true;
    };
    const words = (window: string) => {
      for (const m of window.normalize('NFKC').toLowerCase().matchAll(WORD)) {
        if (ids.length >= this.maxTokens) break;
        const word = m[0].replace(/’/g, "'");
        if (push(word) || !/['.-]/.test(word)) continue;
        for (const part of word.matchAll(PART)) {
          if (ids.length >= this.maxTokens) break;
          push(part[0]);
        }
      }
    };
    if (!windowed) words(text);
    let size = this.maxTokens * 16 + 256;
    for (let start = 0; windowed && start < text.length && ids.length < this.maxTokens; size *= 2) {
      const end = whitespaceAtOrAfter(text, start + size);
      words(text.slice(start, end));
      start = end;
    }
    return { ids, weights };
  }
}
