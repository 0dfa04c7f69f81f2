/**
 * Folder import for the UI: picks corpus.jsonl(.gz), queries.jsonl(.gz) and qrels/<split>.tsv(.gz)
 * out of a list of Files (an <input webkitdirectory> FileList or dropped files) by name and
 * webkitRelativePath, then reads them with assembleDataset.
 */
import { DataError, type Dataset } from './types';
import {
  assembleDataset,
  blobSource,
  splitName,
  twoFilesForOnePart,
  type AssembleOptions,
  type Source,
} from './beir';

function pathOf(f: File): string {
  const rel = (f as File & { webkitRelativePath?: string }).webkitRelativePath;
  return (rel && rel.length > 0 ? rel : f.name).replace(/\\/g, '/');
}

function baseName(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1);
}

/** The file with this base name (plain or .gz); more than one is ambiguous. */
function pick(files: readonly File[], base: string): File | null {
  const hits = files.filter((f) => {
    const b = baseName(pathOf(f)).toLowerCase();
    return b === base || b === `${base}.gz`;
  });
  if (hits.length > 1) throw twoFilesForOnePart(base, pathOf(hits[0]), pathOf(hits[1]));
  return hits[0] ?? null;
}

/**
 * qrels files: *.tsv(.gz) inside a "qrels" folder; when the files carry no folder paths (plain
 * multi-select), any *.tsv(.gz).
 */
function qrelsFiles(files: readonly File[]): File[] {
  const tsv = files.filter((f) => /\.tsv(\.gz)?$/i.test(pathOf(f)) && !baseName(pathOf(f)).startsWith('._'));
  const inQrels = tsv.filter((f) => pathOf(f).toLowerCase().split('/').slice(0, -1).includes('qrels'));
  if (inQrels.length > 0) return inQrels;
  return tsv.filter((f) => !pathOf(f).includes('/'));
}

function source(f: File): Source {
  return blobSource(f, pathOf(f));
}

/** Finds the BEIR files in a selection and reads them; the error lists every missing part. */
export async function datasetFromFiles(
  list: readonly File[] | FileList,
  opts?: AssembleOptions & { name?: string },
): Promise<Dataset> {
  const files = Array.from(list as ArrayLike<File>).filter((f) => !baseName(pathOf(f)).startsWith('._'));
  const corpus = pick(files, 'corpus.jsonl');
  const queries = pick(files, 'queries.jsonl');
  const qrels = qrelsFiles(files);
  const missing: string[] = [];
  if (!corpus) missing.push('corpus.jsonl (or corpus.jsonl.gz)');
  if (!queries) missing.push('queries.jsonl (or queries.jsonl.gz)');
  if (qrels.length === 0) missing.push('qrels/<split>.tsv (e.g. qrels/test.tsv)');
  if (!corpus || !queries || qrels.length === 0) {
    const seen = files.length === 0 ? 'no files' : files.map(pathOf).slice(0, 10).join(', ');
    throw new DataError('dataset', null, `missing ${missing.join('; ')} (got: ${seen})`);
  }
  const splits: Record<string, Source> = {};
  for (const f of qrels) {
    const split = splitName(pathOf(f));
    const other = splits[split];
    if (other) throw twoFilesForOnePart(`qrels of split "${split}"`, other.name, pathOf(f));
    splits[split] = source(f);
  }
  const top = pathOf(corpus).split('/');
  const name = opts?.name ?? (top.length > 1 ? top[0] : 'imported');
  return assembleDataset(name, { corpus: source(corpus), queries: source(queries), qrels: splits }, opts);
}
