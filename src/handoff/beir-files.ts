/** A stored dataset as BEIR files (corpus.jsonl, queries.jsonl, qrels/<split>.tsv) under `prefix`, for a hand-off project. */
import type { Dataset } from '../data/types';

export function beirFiles(ds: Dataset, splits: readonly string[], prefix: string): Map<string, string> {
  const files = new Map<string, string>();
  files.set(
    `${prefix}corpus.jsonl`,
    ds.docs.map((d) => JSON.stringify({ _id: d.id, title: d.title, text: d.text }) + '\n').join(''),
  );
  files.set(
    `${prefix}queries.jsonl`,
    ds.queries.map((q) => JSON.stringify({ _id: q.id, text: q.text }) + '\n').join(''),
  );
  for (const split of splits) {
    const qrels = ds.qrels[split];
    if (!qrels) throw new Error(`dataset "${ds.name}" has no split "${split}"`);
    const rows = ['query-id\tcorpus-id\tscore'];
    for (const [qid, docs] of qrels) for (const [did, grade] of docs) rows.push(`${qid}\t${did}\t${grade}`);
    files.set(`${prefix}qrels/${split}.tsv`, rows.join('\n') + '\n');
  }
  return files;
}
