/**
 * Okapi BM25 with Lucene's formula over an in-memory inverted index held in typed arrays.
 *   idf(t)      = ln(1 + (N - df + 0.5) / (df + 0.5))
 *   w(t, d)     = tf * (k1 + 1) / (tf + k1 * (1 - b + b * dl / avgdl))
 *   score(q, d) = sum over query terms t of qtf(t) * idf(t) * w(t, d)
 * qtf(t) is 1 for every distinct query term by default (a Lucene BooleanQuery of unique terms);
 * with queryTermFrequency 'count' a term repeated n times counts n times (Anserini's bag of words).
 * Documents are indexed as title + " " + text. Pure TS: runs in a Web Worker and in Node.
 */
import type { Doc, Query } from '../data/types';
import type { Hit, Run } from './types';
import { compareHits } from './metrics';
import { makeAnalyzer, type Analyzer, type AnalyzerOptions } from './analyzer';

export interface Bm25Options extends AnalyzerOptions {
  /** term-frequency saturation, default 1.5 */
  k1?: number;
  /** length normalisation, default 0.75 */
  b?: number;
  /** 'unique' (default): each distinct query term once; 'count': weighted by its count in the query */
  queryTermFrequency?: 'unique' | 'count';
}

export type Progress = (done: number, total: number) => void;

const PROGRESS_EVERY = 500;

export class Bm25Index {
  readonly k1: number;
  readonly b: number;
  readonly avgdl: number;
  private readonly analyze: Analyzer;
  private readonly countQueryTerms: boolean;
  /** scratch accumulator, one slot per doc */
  private readonly acc: Float64Array;

  private constructor(
    readonly ids: readonly string[],
    readonly options: Readonly<Bm25Options>,
    private readonly vocab: ReadonlyMap<string, number>,
    /** postings of term t are [offsets[t], offsets[t + 1]) */
    private readonly offsets: Uint32Array,
    private readonly postDocs: Uint32Array,
    /** BM25 term weight w(t, d) without idf, per posting */
    private readonly postWeights: Float64Array,
    private readonly idf: Float64Array,
    avgdl: number,
  ) {
    this.k1 = options.k1 ?? 1.5;
    this.b = options.b ?? 0.75;
    this.avgdl = avgdl;
    this.analyze = makeAnalyzer(options);
    this.countQueryTerms = options.queryTermFrequency === 'count';
    this.acc = new Float64Array(ids.length);
  }

  static build(docs: readonly Doc[], opts: Bm25Options = {}, onProgress?: Progress): Bm25Index {
    const k1 = opts.k1 ?? 1.5;
    const b = opts.b ?? 0.75;
    if (!(k1 >= 0) || !(b >= 0 && b <= 1))
      throw new Error(`BM25: need k1 >= 0 and 0 <= b <= 1, got k1=${k1} b=${b}`);
    const analyze = makeAnalyzer(opts);
    const vocab = new Map<string, number>();
    const df: number[] = [];
    const docTerms: Uint32Array[] = [];
    const docTfs: Uint32Array[] = [];
    const docLen = new Float64Array(docs.length);
    let total = 0;
    for (let d = 0; d < docs.length; d++) {
      const tokens = analyze(`${docs[d].title} ${docs[d].text}`);
      docLen[d] = tokens.length;
      total += tokens.length;
      const counts = new Map<number, number>();
      for (const tok of tokens) {
        let t = vocab.get(tok);
        if (t === undefined) {
          t = vocab.size;
          vocab.set(tok, t);
          df.push(0);
        }
        counts.set(t, (counts.get(t) ?? 0) + 1);
      }
      const terms = new Uint32Array(counts.size);
      const tfs = new Uint32Array(counts.size);
      let i = 0;
      for (const [t, c] of counts) {
        terms[i] = t;
        tfs[i++] = c;
        df[t]++;
      }
      docTerms.push(terms);
      docTfs.push(tfs);
      if (onProgress && (d + 1) % PROGRESS_EVERY === 0) onProgress(d + 1, docs.length);
    }
    const n = docs.length;
    const avgdl = n > 0 ? total / n : 0;
    const offsets = new Uint32Array(vocab.size + 1);
    for (let t = 0; t < vocab.size; t++) offsets[t + 1] = offsets[t] + df[t];
    const fill = offsets.slice(0, vocab.size);
    const postDocs = new Uint32Array(offsets[vocab.size]);
    const postWeights = new Float64Array(offsets[vocab.size]);
    for (let d = 0; d < n; d++) {
      const norm = k1 * (1 - b + (avgdl > 0 ? (b * docLen[d]) / avgdl : 0));
      const terms = docTerms[d];
      const tfs = docTfs[d];
      for (let i = 0; i < terms.length; i++) {
        const p = fill[terms[i]]++;
        postDocs[p] = d;
        postWeights[p] = (tfs[i] * (k1 + 1)) / (tfs[i] + norm);
      }
    }
    const idf = new Float64Array(vocab.size);
    for (let t = 0; t < vocab.size; t++) idf[t] = Math.log(1 + (n - df[t] + 0.5) / (df[t] + 0.5));
    onProgress?.(n, n);
    return new Bm25Index(
      docs.map((d) => d.id),
      { ...opts, k1, b },
      vocab,
      offsets,
      postDocs,
      postWeights,
      idf,
      avgdl,
    );
  }

  get size(): number {
    return this.ids.length;
  }

  get vocabularySize(): number {
    return this.vocab.size;
  }

  /** Document frequency of an already-analysed term (0 when unknown). */
  docFreq(term: string): number {
    const t = this.vocab.get(term);
    return t === undefined ? 0 : this.offsets[t + 1] - this.offsets[t];
  }

  /** Top k docs with a positive score, in trec_eval order (score desc, then docId desc). */
  search(queryText: string, k = 10): Hit[] {
    const qtf = new Map<number, number>();
    for (const tok of this.analyze(queryText)) {
      const t = this.vocab.get(tok);
      if (t !== undefined) qtf.set(t, this.countQueryTerms ? (qtf.get(t) ?? 0) + 1 : 1);
    }
    const acc = this.acc;
    const touched: number[] = [];
    for (const [t, count] of qtf) {
      const w = count * this.idf[t];
      for (let p = this.offsets[t]; p < this.offsets[t + 1]; p++) {
        const d = this.postDocs[p];
        if (acc[d] === 0) touched.push(d);
        acc[d] += w * this.postWeights[p];
      }
    }
    const hits: Hit[] = [];
    for (const d of touched) {
      if (acc[d] > 0) hits.push({ docId: this.ids[d], score: acc[d] });
      acc[d] = 0;
    }
    hits.sort(compareHits);
    return hits.length > k ? hits.slice(0, Math.max(0, k)) : hits;
  }

  /** search() for every query: a Run keyed by query id. */
  searchAll(queries: readonly Query[], k = 1000, onProgress?: Progress): Run {
    const run: Run = new Map();
    for (let i = 0; i < queries.length; i++) {
      run.set(queries[i].id, this.search(queries[i].text, k));
      if (onProgress && ((i + 1) % PROGRESS_EVERY === 0 || i + 1 === queries.length))
        onProgress(i + 1, queries.length);
    }
    return run;
  }
}
