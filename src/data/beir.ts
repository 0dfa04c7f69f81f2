/**
 * Streaming, validating readers for the BEIR layout: corpus.jsonl ({_id, title?, text}),
 * queries.jsonl ({_id, text}) and qrels/<split>.tsv (header "query-id corpus-id score").
 * Browser and Node. Every input error is a DataError naming the file and 1-based line.
 *
 * What is an error: a line that is not a JSON object; _id missing, not a string or empty; text
 * missing or not a string; title present but not a string; a duplicate id; a qrels file whose
 * first line is not the header, or a row without exactly 3 tab-separated columns, or an empty id,
 * or a grade that is not an integer, or a (query, doc) pair judged twice; a qrels row naming a doc
 * not in the corpus or a query not in queries.jsonl (when those are given); an empty corpus, an
 * empty queries file, a qrels file without rows. Not an error: blank lines (skipped), queries
 * without judgements, unjudged docs, grades <= 0 (judged non-relevant), extra JSON fields.
 */
import { DataError, type Dataset, type Doc, type Qrels, type Query } from './types';
import { readLines, type LineLimits, type Source } from './lines';

export {
  blobSource,
  textSource,
  readLines,
  DEFAULT_LINE_LIMITS,
  type LineLimits,
  type Source,
  type Line,
} from './lines';

export interface ParseProgress {
  readonly file: string;
  /** raw bytes read so far, and the total when the source knows its size */
  readonly bytes: number;
  readonly totalBytes?: number;
  readonly lines: number;
  readonly done: boolean;
}
export interface ParseOptions {
  onProgress?: (p: ParseProgress) => void;
  /** line length and gzip inflation limits (default DEFAULT_LINE_LIMITS) */
  lineLimits?: Partial<LineLimits>;
}
export interface QrelsOptions extends ParseOptions {
  /** when given, a row naming a doc outside this set is an error */
  docIds?: ReadonlySet<string>;
  /** when given, a row naming a query outside this set is an error */
  queryIds?: ReadonlySet<string>;
}

const PROGRESS_EVERY = 2000;

/** Runs `each` on every non-blank line, reporting progress; returns the number of lines read. */
async function forEachLine(
  src: Source,
  opts: ParseOptions | undefined,
  each: (text: string, no: number) => void,
): Promise<void> {
  let bytes = 0;
  let lines = 0;
  const report = (done: boolean) =>
    opts?.onProgress?.({ file: src.name, bytes, totalBytes: src.size, lines, done });
  const onBytes = opts?.onProgress ? (n: number) => (bytes = n) : undefined;
  for await (const line of readLines(src, onBytes, opts?.lineLimits)) {
    lines = line.no;
    if (line.text.trim().length > 0) each(line.text, line.no);
    if (lines % PROGRESS_EVERY === 0) report(false);
  }
  report(true);
}

function jsonObject(file: string, no: number, text: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw new DataError(file, no, `bad JSON: ${e instanceof Error ? e.message : String(e)}`);
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new DataError(file, no, 'expected a JSON object');
  }
  return value as Record<string, unknown>;
}

function idOf(file: string, no: number, obj: Record<string, unknown>, seen: Set<string>): string {
  const id = obj._id;
  if (id === undefined) throw new DataError(file, no, 'missing "_id"');
  if (typeof id !== 'string') throw new DataError(file, no, `"_id" must be a string, got ${typeof id}`);
  if (id.length === 0) throw new DataError(file, no, 'empty "_id"');
  if (seen.has(id)) throw new DataError(file, no, `duplicate _id "${id}"`);
  seen.add(id);
  return id;
}

function stringField(
  file: string,
  no: number,
  obj: Record<string, unknown>,
  key: string,
  required: boolean,
): string {
  const v = obj[key];
  if (v === undefined || v === null) {
    if (required) throw new DataError(file, no, `missing "${key}"`);
    return '';
  }
  if (typeof v !== 'string') throw new DataError(file, no, `"${key}" must be a string, got ${typeof v}`);
  return v;
}

export async function parseCorpus(src: Source, opts?: ParseOptions): Promise<Doc[]> {
  const docs: Doc[] = [];
  const seen = new Set<string>();
  await forEachLine(src, opts, (text, no) => {
    const obj = jsonObject(src.name, no, text);
    const id = idOf(src.name, no, obj, seen);
    const title = stringField(src.name, no, obj, 'title', false);
    docs.push({ id, title, text: stringField(src.name, no, obj, 'text', true) });
  });
  if (docs.length === 0) throw new DataError(src.name, null, 'the corpus has no documents');
  return docs;
}

export async function parseQueries(src: Source, opts?: ParseOptions): Promise<Query[]> {
  const queries: Query[] = [];
  const seen = new Set<string>();
  await forEachLine(src, opts, (text, no) => {
    const obj = jsonObject(src.name, no, text);
    const id = idOf(src.name, no, obj, seen);
    queries.push({ id, text: stringField(src.name, no, obj, 'text', true) });
  });
  if (queries.length === 0) throw new DataError(src.name, null, 'there are no queries');
  return queries;
}

const QRELS_HEADER = ['query-id', 'corpus-id', 'score'];
const INTEGER = /^[+-]?\d+$/;

export async function parseQrels(src: Source, opts?: QrelsOptions): Promise<Qrels> {
  const qrels: Qrels = new Map();
  let header = false;
  let rows = 0;
  await forEachLine(src, opts, (text, no) => {
    const cols = text.split('\t').map((c) => c.trim());
    if (!header) {
      if (cols.length !== 3 || cols.some((c, i) => c.toLowerCase() !== QRELS_HEADER[i])) {
        throw new DataError(src.name, no, `expected the header "${QRELS_HEADER.join('\\t')}", got "${text}"`);
      }
      header = true;
      return;
    }
    if (cols.length !== 3) {
      throw new DataError(
        src.name,
        no,
        `expected 3 tab-separated columns (query-id, corpus-id, score), got ${cols.length}`,
      );
    }
    const [qid, did, grade] = cols;
    if (qid.length === 0 || did.length === 0)
      throw new DataError(src.name, no, 'empty query-id or corpus-id');
    if (!INTEGER.test(grade)) throw new DataError(src.name, no, `score "${grade}" is not an integer`);
    if (opts?.queryIds && !opts.queryIds.has(qid)) {
      throw new DataError(src.name, no, `query "${qid}" is not in the queries file`);
    }
    if (opts?.docIds && !opts.docIds.has(did))
      throw new DataError(src.name, no, `doc "${did}" is not in the corpus`);
    let judged = qrels.get(qid);
    if (!judged) qrels.set(qid, (judged = new Map()));
    if (judged.has(did)) throw new DataError(src.name, no, `query "${qid}" judges doc "${did}" twice`);
    judged.set(did, Number.parseInt(grade, 10));
    rows++;
  });
  if (!header) throw new DataError(src.name, null, 'empty qrels file (no header)');
  if (rows === 0) throw new DataError(src.name, null, 'the qrels file has no judgements');
  return qrels;
}

export interface DatasetSources {
  readonly corpus: Source;
  readonly queries: Source;
  /** split name -> qrels file */
  readonly qrels: Readonly<Record<string, Source>>;
}
export interface AssembleOptions extends ParseOptions {
  description?: string;
}

/** Reads and cross-validates a BEIR dataset (qrels must name known docs and queries). */
export async function assembleDataset(
  name: string,
  files: DatasetSources,
  opts?: AssembleOptions,
): Promise<Dataset> {
  const docs = await parseCorpus(files.corpus, opts);
  const queries = await parseQueries(files.queries, opts);
  const docIds = new Set(docs.map((d) => d.id));
  const queryIds = new Set(queries.map((q) => q.id));
  const qrels: Record<string, Qrels> = {};
  for (const split of Object.keys(files.qrels).sort()) {
    qrels[split] = await parseQrels(files.qrels[split], { ...opts, docIds, queryIds });
  }
  return { name, docs, queries, qrels, description: opts?.description };
}

/** "qrels/test.tsv.gz" -> "test" */
export function splitName(fileName: string): string {
  const base = fileName.slice(fileName.replace(/\\/g, '/').lastIndexOf('/') + 1);
  return base.replace(/\.gz$/i, '').replace(/\.tsv$/i, '');
}

/** Two files that are the same part of a dataset (e.g. qrels/test.tsv and qrels/test.tsv.gz): neither may win
 * silently, since they need not hold the same data. */
export function twoFilesForOnePart(part: string, a: string, b: string): DataError {
  return new DataError(a, null, `${a} and ${b} are both the ${part}: keep one of them`);
}
