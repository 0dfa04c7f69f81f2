/**
 * Text analysis for lexical retrieval: lowercase, split on anything that is not a Unicode letter,
 * number or combining mark, drop stopwords, optionally stem.
 */
import { porterStem } from './porter';

/** Lucene's classic English stop set (StopAnalyzer.ENGLISH_STOP_WORDS_SET). */
export const LUCENE_STOPWORDS: readonly string[] = [
  'a',
  'an',
  'and',
  'are',
  'as',
  'at',
  'be',
  'but',
  'by',
  'for',
  'if',
  'in',
  'into',
  'is',
  'it',
  'no',
  'not',
  'of',
  'on',
  'or',
  'such',
  'that',
  'the',
  'their',
  'then',
  'there',
  'these',
  'they',
  'this',
  'to',
  'was',
  'will',
  'with',
];

/**
 * 'none': no stemming; 's': the S-stemmer (Harman 1991: plural -ies/-es/-s);
 * 'porter': the Porter (1980) stemmer.
 */
export type StemMode = 'none' | 's' | 'porter';

export interface AnalyzerOptions {
  /** 'lucene' (default), 'none', or an explicit list of lowercase stopwords */
  stopwords?: 'lucene' | 'none' | readonly string[];
  /** default 's' (best mean BM25 nDCG@10 over med, cran and medquad; see bm25.real.test.ts) */
  stem?: StemMode;
}

export const DEFAULT_STEM: StemMode = 's';

export type Analyzer = (text: string) => string[];

const SPLIT = /[^\p{L}\p{N}\p{M}]+/u;

/** Harman's S-stemmer: -ies -> -y (not -eies/-aies), -es -> -e (not -aes/-ees/-oes), -s -> '' (not -us/-ss). */
export function sStem(w: string): string {
  if (w.length <= 3) return w;
  if (w.endsWith('ies') && !w.endsWith('eies') && !w.endsWith('aies')) return w.slice(0, -3) + 'y';
  if (w.endsWith('es') && !w.endsWith('aes') && !w.endsWith('ees') && !w.endsWith('oes'))
    return w.slice(0, -1);
  if (w.endsWith('s') && !w.endsWith('us') && !w.endsWith('ss')) return w.slice(0, -1);
  return w;
}

export function tokenize(text: string): string[] {
  return text
    .toLowerCase()
    .split(SPLIT)
    .filter((t) => t.length > 0);
}

export function makeAnalyzer(opts: AnalyzerOptions = {}): Analyzer {
  const list = opts.stopwords ?? 'lucene';
  const stop = new Set(list === 'lucene' ? LUCENE_STOPWORDS : list === 'none' ? [] : list);
  const mode = opts.stem ?? DEFAULT_STEM;
  const stem = mode === 'porter' ? porterStem : mode === 's' ? sStem : null;
  const cache = new Map<string, string>();
  return (text) => {
    const out: string[] = [];
    for (const t of tokenize(text)) {
      if (stop.has(t)) continue;
      if (!stem) {
        out.push(t);
        continue;
      }
      let s = cache.get(t);
      if (s === undefined) {
        s = stem(t);
        if (cache.size < 200_000) cache.set(t, s);
      }
      out.push(s);
    }
    return out;
  };
}
