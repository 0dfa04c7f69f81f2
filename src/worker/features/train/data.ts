/**
 * Training pairs for a run from an imported pairs JSONL ({query, positive, negatives?}), with file:line
 * errors (a stored dataset's split gives its pairs through pairsFromDataset, src/train/data.ts).
 */
import { parseTrainingPairs } from '../../../train/data';
import { DataError } from '../../../data/types';
import type { TrainingPair } from '../../../train/types';

/** Reads a pairs JSONL file ({query, positive, negatives?} per line; errors name file:line). */
export async function readPairsFile(file: File): Promise<TrainingPair[]> {
  const pairs = parseTrainingPairs(await file.text(), file.name);
  if (pairs.length === 0) throw new DataError(file.name, null, 'no training pairs');
  return pairs;
}
