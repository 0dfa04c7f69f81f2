/**
 * A small slice of the real MedQuAD collection (../shared/datasets/medquad) for tests that train and evaluate
 * through the CLI in seconds: the first training pairs as a JSONL file, and a BEIR folder with the first
 * dev queries and a corpus of the answers of the first `corpusQueries` dev queries (the others distract).
 * Written to a temporary folder at test time; nothing is copied into the repository.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { hasSharedDatasets, sharedDatasetsDir } from '../data/node';

export const HAVE_MEDQUAD = hasSharedDatasets(['medquad']);

const lines = (file: string) =>
  readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.trim());

export function writeMedquadSlice(
  dir: string,
  opts: { pairs: number; queries: number; corpusQueries: number },
): { pairs: string; beir: string } {
  const src = join(sharedDatasetsDir(), 'medquad');
  const pairs = join(dir, 'pairs.jsonl');
  writeFileSync(pairs, lines(join(src, 'train.jsonl')).slice(0, opts.pairs).join('\n') + '\n');
  const rows = lines(join(src, 'qrels/dev.tsv'))
    .slice(1)
    .map((l) => l.split('\t'));
  const order = [...new Set(rows.map((r) => r[0]))];
  const judged = new Set(order.slice(0, opts.queries));
  const inCorpus = new Set(order.slice(0, opts.corpusQueries));
  const docIds = new Set(rows.filter((r) => inCorpus.has(r[0])).map((r) => r[1]));
  const beir = join(dir, 'medquad-small');
  mkdirSync(join(beir, 'qrels'), { recursive: true });
  const idOf = (l: string) => (JSON.parse(l) as { _id: string })._id;
  writeFileSync(
    join(beir, 'corpus.jsonl'),
    lines(join(src, 'corpus.jsonl'))
      .filter((l) => docIds.has(idOf(l)))
      .join('\n') + '\n',
  );
  writeFileSync(
    join(beir, 'queries.jsonl'),
    lines(join(src, 'queries.jsonl'))
      .filter((l) => judged.has(idOf(l)))
      .join('\n') + '\n',
  );
  const qrels = rows.filter((r) => judged.has(r[0]));
  writeFileSync(
    join(beir, 'qrels/dev.tsv'),
    ['query-id\tcorpus-id\tscore', ...qrels.map((r) => r.join('\t'))].join('\n') + '\n',
  );
  return { pairs, beir };
}
