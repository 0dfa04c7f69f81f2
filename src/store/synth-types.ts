/** What a stored synthetic set is (its items are stored apart, one record each, in `synthItems`). */
import type { ReviewStatus } from '../synth/types';

/** How many items a set holds, and how many of them a person decided. */
export type SynthCounts = { total: number } & Record<ReviewStatus, number>;

export interface SynthSetRecord {
  id: string;
  name: string;
  /** the stored dataset whose documents it was written for (empty for an imported file with none) */
  dataset: string;
  /** how its queries were written: 'ict' | 'title' | 'llm', or 'import' for a JSONL file */
  method: string;
  /** the settings that produced it (what the generate form held), or the imported file's name */
  settings: Record<string, string | number | boolean | null>;
  /** the model that wrote it, if any (LLM sets) */
  model?: string;
  counts: SynthCounts;
  createdAt: string;
}

export const emptyCounts = (): SynthCounts => ({ total: 0, pending: 0, accepted: 0, rejected: 0 });
