/**
 * What training data is made of, below both src/synth (which writes it) and src/train (which learns from it):
 * a query-passage pair, and a document as one passage string.
 */
import type { Doc } from './types';

/** One training example: a query, its positive passage, optional hard negatives (mined or written). */
export interface TrainingPair {
  readonly query: string;
  readonly positive: string;
  readonly negatives?: readonly string[];
}

/** A doc as one passage string: its title (when any) on the first line, then its text. */
export function docText(d: Doc): string {
  return d.title.trim() ? `${d.title.trim()}\n${d.text}` : d.text;
}
