/**
 * The review queue's pure parts: which items a filter shows, the sentence-transformers JSONL a set
 * exports ({"query","positive","negative"} with one negative, `negatives: [...]` with more, neither with
 * none), and the items an imported JSONL file becomes.
 */
import type { TrainingPair } from '../data/pairs';
import { itemsForTraining, type ReviewPolicy, type ReviewStatus, type SynthItem } from './types';

/** What the review queue shows: a status, a source (the provenance method), a score range. */
export interface SynthFilter {
  status?: ReviewStatus;
  /** provenance.method of the item ('ict', 'title', 'llm', 'import') */
  method?: string;
  /** items without a score never pass a score bound */
  minScore?: number;
  maxScore?: number;
}

export function matchesFilter(it: SynthItem, f: SynthFilter): boolean {
  if (f.status && it.status !== f.status) return false;
  if (f.method && it.provenance.method !== f.method) return false;
  if (f.minScore !== undefined && !(it.score !== undefined && it.score >= f.minScore)) return false;
  if (f.maxScore !== undefined && !(it.score !== undefined && it.score <= f.maxScore)) return false;
  return true;
}

/** Training pairs of a set under a policy (negatives marked false dropped). */
export function pairsOfItems(items: readonly SynthItem[], policy: ReviewPolicy): TrainingPair[] {
  return itemsForTraining(items, policy).map((it) => {
    const negatives = it.negatives.map((n) => n.text);
    return negatives.length
      ? { query: it.query, positive: it.positive, negatives }
      : { query: it.query, positive: it.positive };
  });
}

/** One line per item the policy lets through, in the sentence-transformers triplet shape. */
export function exportJsonl(
  items: readonly SynthItem[],
  policy: ReviewPolicy,
): { text: string; count: number } {
  const lines = pairsOfItems(items, policy).map((p) => {
    const n = p.negatives ?? [];
    const row =
      n.length === 0
        ? { query: p.query, positive: p.positive }
        : n.length === 1
          ? { query: p.query, positive: p.positive, negative: n[0] }
          : { query: p.query, positive: p.positive, negatives: n };
    return JSON.stringify(row);
  });
  return { text: lines.length ? lines.join('\n') + '\n' : '', count: lines.length };
}

/** Items of a new set from the pairs of an imported file (all pending, with the file as provenance). */
export function itemsFromPairs(
  pairs: readonly TrainingPair[],
  set: string,
  file: string,
  now: string,
): SynthItem[] {
  const provenance = (method: string) => ({ method, settings: { file }, createdAt: now });
  return pairs.map((p, i) => ({
    id: `line${i + 1}`,
    set,
    docId: '',
    query: p.query,
    positive: p.positive,
    negatives: (p.negatives ?? []).map((text) => ({ text, provenance: provenance('import') })),
    provenance: provenance('import'),
    status: 'pending' as const,
  }));
}
