/** A retrieval collection in BEIR layout, held in memory. */
export interface Doc {
  readonly id: string;
  readonly title: string;
  readonly text: string;
}
export interface Query {
  readonly id: string;
  readonly text: string;
}
/** qid -> (docid -> graded relevance; grade <= 0 means judged non-relevant) */
export type Qrels = Map<string, Map<string, number>>;

export interface Dataset {
  /** stable key, e.g. "demo", "med", or a user-given name */
  readonly name: string;
  readonly docs: readonly Doc[];
  readonly queries: readonly Query[];
  /** split name (file stem of qrels/<split>.tsv) -> qrels */
  readonly qrels: Readonly<Record<string, Qrels>>;
  /** free description (domain, licence, source) */
  readonly description?: string;
}

/** An error in an input file, naming the file and (1-based) line. */
export class DataError extends Error {
  constructor(
    readonly file: string,
    readonly line: number | null,
    detail: string,
  ) {
    super(line === null ? `${file}: ${detail}` : `${file}:${line}: ${detail}`);
    this.name = 'DataError';
  }
}
