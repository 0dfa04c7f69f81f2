/** Node-only dataset loading: BEIR folders on disk, the shared datasets folder, the demo collection. */
import { createReadStream, existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { Readable } from 'node:stream';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DataError, type Dataset, type Doc } from './types';
import {
  assembleDataset,
  parseCorpus,
  splitName,
  twoFilesForOnePart,
  type AssembleOptions,
  type Source,
} from './beir';
import { DEMO_DESCRIPTION } from './demo-info';

const here = dirname(fileURLToPath(import.meta.url));

/** A file on disk as a Source (a ".gz" path is gunzipped by the parsers). */
export function fileSource(path: string): Source {
  return {
    name: path,
    size: statSync(path).size,
    stream: () => Readable.toWeb(createReadStream(path)) as unknown as ReadableStream<Uint8Array>,
  };
}

/** <dir>/<base> or <dir>/<base>.gz; both is an error naming them. */
function findFile(dir: string, base: string): string | null {
  const hits = [base, `${base}.gz`].map((n) => join(dir, n)).filter((p) => existsSync(p));
  if (hits.length > 1) throw twoFilesForOnePart(base, hits[0], hits[1]);
  return hits[0] ?? null;
}

/** Reads <dir>/corpus.jsonl(.gz), <dir>/queries.jsonl(.gz) and every <dir>/qrels/*.tsv(.gz). */
export async function loadBeirDir(dir: string, name?: string, opts?: AssembleOptions): Promise<Dataset> {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new DataError(dir, null, 'not a directory');
  const corpus = findFile(dir, 'corpus.jsonl');
  const queries = findFile(dir, 'queries.jsonl');
  const qrelsDir = join(dir, 'qrels');
  const qrelsNames = existsSync(qrelsDir)
    ? readdirSync(qrelsDir)
        .filter((f) => /\.tsv(\.gz)?$/i.test(f))
        .sort()
    : [];
  const missing: string[] = [];
  if (!corpus) missing.push('corpus.jsonl');
  if (!queries) missing.push('queries.jsonl');
  if (qrelsNames.length === 0) missing.push('qrels/<split>.tsv');
  if (!corpus || !queries || qrelsNames.length === 0) {
    throw new DataError(dir, null, `not a BEIR folder: missing ${missing.join(', ')}`);
  }
  const qrels: Record<string, Source> = {};
  for (const f of qrelsNames) {
    const split = splitName(f);
    const other = qrels[split];
    if (other) throw twoFilesForOnePart(`qrels of split "${split}"`, other.name, join(qrelsDir, f));
    qrels[split] = fileSource(join(qrelsDir, f));
  }
  let description = opts?.description;
  const readme = join(dir, 'README.md');
  if (description === undefined && existsSync(readme)) {
    description = readFileSync(readme, 'utf8').trim();
  }
  return assembleDataset(
    name ?? basename(resolve(dir)),
    {
      corpus: fileSource(corpus),
      queries: fileSource(queries),
      qrels,
    },
    { ...opts, description },
  );
}

/**
 * Only the documents of a folder: <dir>/corpus.jsonl(.gz), with or without queries and qrels (a corpus a
 * team has but has not labelled). "demo" is the embedded demo collection.
 */
export async function loadCorpusDir(dir: string): Promise<readonly Doc[]> {
  if (dir === 'demo') return (await loadDemoDatasetNode()).docs;
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new DataError(dir, null, 'not a directory');
  const corpus = findFile(dir, 'corpus.jsonl');
  if (!corpus) throw new DataError(dir, null, 'no corpus.jsonl (or corpus.jsonl.gz) in this folder');
  return parseCorpus(fileSource(corpus));
}

/** ../shared/datasets beside the repository; the STM_DATASETS environment variable overrides it. */
export function sharedDatasetsDir(): string {
  const env = process.env.STM_DATASETS;
  if (env && env.length > 0) return resolve(env);
  return resolve(here, '../../../shared/datasets');
}

/** Whether the shared datasets folder holds these BEIR collections (each with a corpus.jsonl). */
export function hasSharedDatasets(names: readonly string[]): boolean {
  const root = sharedDatasetsDir();
  return names.every(
    (n) => existsSync(join(root, n, 'corpus.jsonl')) || existsSync(join(root, n, 'corpus.jsonl.gz')),
  );
}

/** One collection of the shared datasets folder, e.g. "med", "cran", "medquad". */
export function loadSharedDataset(name: string, opts?: AssembleOptions): Promise<Dataset> {
  return loadBeirDir(join(sharedDatasetsDir(), name), name, opts);
}

/** The folder holding the demo collection's files (src/data/demo). */
export function demoDir(): string {
  return join(here, 'demo');
}

/** The embedded demo collection, read from src/data/demo with node:fs. */
export async function loadDemoDatasetNode(): Promise<Dataset> {
  const dir = demoDir();
  return assembleDataset(
    'demo',
    {
      corpus: fileSource(join(dir, 'corpus.jsonl')),
      queries: fileSource(join(dir, 'queries.jsonl')),
      qrels: { test: fileSource(join(dir, 'qrels', 'test.tsv')) },
    },
    { description: DEMO_DESCRIPTION },
  );
}
