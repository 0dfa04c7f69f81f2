/**
 * Training pairs: from JSONL ({query, positive, negatives?} or MedQuAD's {_id, query, positive, source}) or
 * from the judged queries of a dataset's split.
 */
import { DataError, type Dataset } from '../data/types';
import { qrelsOf } from '../data/qrels-check';
import { decodeUtf8 } from '../data/utf8';
import { Rng } from '../util/rng';
import type { TrainingPair } from './types';
import { docText } from '../data/pairs';

/** Parses JSONL text; a bad line throws a DataError naming file:line. Blank lines are skipped. */
export function parseTrainingPairs(text: string, file: string): TrainingPair[] {
  const out: TrainingPair[] = [];
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].trim();
    if (!line) continue;
    let rec: unknown;
    try {
      rec = JSON.parse(line);
    } catch (e) {
      throw new DataError(file, i + 1, `invalid JSON: ${(e as Error).message}`);
    }
    if (typeof rec !== 'object' || rec === null || Array.isArray(rec))
      throw new DataError(file, i + 1, 'expected a JSON object');
    const r = rec as Record<string, unknown>;
    const query = r.query;
    const positive = r.positive ?? r.pos;
    if (typeof query !== 'string' || !query.trim())
      throw new DataError(file, i + 1, 'missing or empty "query" string');
    if (typeof positive !== 'string' || !positive.trim())
      throw new DataError(file, i + 1, 'missing or empty "positive" string');
    const negRaw = r.negatives ?? r.negative;
    let negatives: string[] | undefined;
    if (negRaw !== undefined) {
      const arr = typeof negRaw === 'string' ? [negRaw] : negRaw;
      if (!Array.isArray(arr) || arr.some((n) => typeof n !== 'string')) {
        throw new DataError(file, i + 1, '"negatives" must be a string or an array of strings');
      }
      negatives = (arr as string[]).filter((n) => n.trim().length > 0);
    }
    out.push(negatives ? { query, positive, negatives } : { query, positive });
  }
  return out;
}

/**
 * Reads a pairs file's bytes: strict UTF-8 (a Latin-1 byte is an error at its line, as in the BEIR
 * readers) and at least one pair (an empty file is an error naming it, not a failure deep in training).
 */
export function parseTrainingPairsFile(bytes: Uint8Array, file: string): TrainingPair[] {
  const pairs = parseTrainingPairs(decodeUtf8(bytes, file), file);
  if (pairs.length === 0)
    throw new DataError(
      file,
      null,
      'holds no training pairs: give a JSONL file with one {"query": …, "positive": …} object per line',
    );
  return pairs;
}

/** Serialises pairs back to JSONL ({query, positive, negatives?}). */
export function formatTrainingPairs(pairs: readonly TrainingPair[]): string {
  return (
    pairs
      .map((p) =>
        JSON.stringify(
          p.negatives
            ? { query: p.query, positive: p.positive, negatives: p.negatives }
            : { query: p.query, positive: p.positive },
        ),
      )
      .join('\n') + '\n'
  );
}

/** A seeded sample of n pairs (all of them, shuffled, when n >= length). */
export function samplePairs<T>(pairs: readonly T[], n: number, seed: number): T[] {
  const idx = new Rng(seed).shuffle(Array.from({ length: pairs.length }, (_, i) => i));
  return idx.slice(0, Math.min(n, pairs.length)).map((i) => pairs[i]);
}

/** A seeded train/dev split: devFraction (or devCount) of the pairs go to dev. */
export function splitTrainDev<T>(
  pairs: readonly T[],
  dev: { fraction?: number; count?: number },
  seed: number,
): { train: T[]; dev: T[] } {
  const shuffled = samplePairs(pairs, pairs.length, seed);
  const n = dev.count ?? Math.round((dev.fraction ?? 0.1) * pairs.length);
  return { dev: shuffled.slice(0, n), train: shuffled.slice(n) };
}

export { docText };

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
