/** One ranked list entry. */
export interface Hit {
  readonly docId: string;
  readonly score: number;
}
/** qid -> hits (any order; metrics sort them with trec_eval's rules) */
export type Run = Map<string, Hit[]>;

export const CUTOFFS = [1, 3, 5, 10, 20, 100, 1000] as const;
export const MEASURES = ['ndcg', 'map', 'recall', 'p', 'mrr'] as const;
export type Measure = (typeof MEASURES)[number];
/** keys like "ndcg@10", "recall@100", "mrr@10", "p@5", "map@1000" */
export type MetricKey = `${Measure}@${number}`;
export type Scores = Record<MetricKey, number>;

export interface EvalReport {
  readonly dataset: string;
  readonly split: string;
  /** "bm25" or the model id */
  readonly retriever: string;
  readonly backend: 'cpu' | 'webgpu' | 'none';
  /** mean over judged queries */
  readonly metrics: Scores;
  /** per-query metrics */
  readonly perQuery: Record<string, Scores>;
  readonly queries: number;
  /**
   * Leakage guard: of the evaluated queries, how many the model was trained on (normalised-text
   * fingerprints, src/data/fingerprint.ts). null: an expert that did not record its training queries
   * (unknown); absent: not a trained model (BM25, a base model).
   */
  readonly overlapQueries?: number | null;
  /** dense: the query template the queries were put in (an instruction, when any, is filled in) */
  readonly queryTemplate?: string;
  /** dense: the query instruction (src/prompts); null: none; absent: BM25 or a report written before */
  readonly instruction?: string | null;
  readonly seconds: number;
  readonly createdAt: string;
  /** what makes these numbers doubtful, e.g. a split without relevant judgements (absent: nothing) */
  readonly warnings?: readonly string[];
}
