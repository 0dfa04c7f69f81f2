/** A run's training pairs as the hand-off's data/train.jsonl: one {query, positive, negatives} object a line. */
import type { TrainingPair } from '../data/pairs';

export function pairsJsonl(pairs: readonly TrainingPair[]): string {
  return pairs
    .map((p) => JSON.stringify({ query: p.query, positive: p.positive, negatives: p.negatives ?? [] }) + '\n')
    .join('');
}
