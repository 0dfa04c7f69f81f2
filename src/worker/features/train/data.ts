/**
 * Training pairs for a run: each judged query of a stored dataset's split with each of its relevant
 * docs, or the lines of an imported pairs JSONL ({query, positive, negatives?}), with file:line errors.
 */
import { parseTrainingPairs } from '../../../train/data';
import { DataError, type Dataset, type Doc } from '../../../data/types';
import { qrelsOf } from '../../../data/qrels-check';
import type { TrainingPair } from '../../../train/types';

/** A doc as one passage string: its title (when any) on the first line, then its text. */
export function docText(d: Doc): string {
  return d.title.trim() ? `${d.title.trim()}\n${d.text}` : d.text;
}

/** One pair per (query, relevant doc) of `split`, in query order then grade (best first) and doc id. */
export function pairsFromDataset(ds: Dataset, split: string): TrainingPair[] {
  const qrels = qrelsOf(ds, split);
  const docs = new Map(ds.docs.map((d) => [d.id, d]));
  const out: TrainingPair[] = [];
  for (const q of ds.queries) {
    const judged = qrels.get(q.id);
    if (!judged) continue;
    const rel = [...judged].filter(([, g]) => g > 0).sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
    for (const [docId] of rel) {
      const d = docs.get(docId);
      if (d) out.push({ query: q.text, positive: docText(d) });
    }
  }
  if (out.length === 0)
    throw new Error(`${ds.name}/${split} has no judged query with a relevant doc in the corpus`);
  return out;
}

/** Reads a pairs JSONL file ({query, positive, negatives?} per line; errors name file:line). */
export async function readPairsFile(file: File): Promise<TrainingPair[]> {
  const pairs = parseTrainingPairs(await file.text(), file.name);
  if (pairs.length === 0) throw new DataError(file.name, null, 'no training pairs');
  return pairs;
}
