/**
 * Training pairs for a run from an imported pairs JSONL ({query, positive, negatives?}), with file:line
 * errors (a stored dataset's split gives its pairs through pairsFromDataset, src/train/data.ts).
 */
import { parseTrainingPairsFile } from '../../../train/data';
import type { TrainingPair } from '../../../train/types';

/** Reads a pairs JSONL file ({query, positive, negatives?} per line; errors name file:line). */
export async function readPairsFile(file: File): Promise<TrainingPair[]> {
  return parseTrainingPairsFile(new Uint8Array(await file.arrayBuffer()), file.name);
}
