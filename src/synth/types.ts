/**
 * The Synthesize stage's data: items written for a corpus (a query, the document it came from as the
 * positive, hard negatives), where each came from, and what a person decided about it.
 */

/** How an item's query was written. */
export type SynthMethod = 'ict' | 'title' | 'llm';

/** Where an item (or one of its negatives) came from: enough to reproduce or judge it. */
export interface Provenance {
  /** 'ict' | 'title' | 'llm' for queries; 'mined' | 'llm' for negatives */
  method: string;
  /** the settings that produced it (count per doc, lengths, seed, prompt name, temperature…) */
  settings: Record<string, string | number | boolean | null>;
  /** the model that wrote it (an LLM id or endpoint model; the embedder that mined it), if any */
  model?: string;
  /** ISO time of writing */
  createdAt: string;
}

export interface SynthNegative {
  text: string;
  /** the corpus document it is (mined), absent for written ones */
  docId?: string;
  provenance: Provenance;
  /** a reviewer said it does answer the query: it is dropped from training */
  falseNegative?: boolean;
  /** similarity to the positive (cosine or n-gram overlap) where a guard measured it */
  score?: number;
}

export type ReviewStatus = 'pending' | 'accepted' | 'rejected';

export interface SynthItem {
  /** unique within its set, stable (e.g. `${docId}#${k}`) */
  id: string;
  /** the set it belongs to */
  set: string;
  /** the corpus document the query was written for (the positive) */
  docId: string;
  query: string;
  positive: string;
  negatives: SynthNegative[];
  provenance: Provenance;
  status: ReviewStatus;
  /** the text was edited by a reviewer (the original is kept in provenance.settings.original*) */
  edited?: boolean;
  /** a method's own quality score when it has one (e.g. tf-idf weight of a title phrase) */
  score?: number;
  /** ISO time of the latest decision */
  decidedAt?: string;
}

/** Which items of a set train an expert. */
export type ReviewPolicy = 'accepted' | 'not-rejected';

/** Keeps the items a policy lets through, without the negatives marked false. */
export function itemsForTraining(items: readonly SynthItem[], policy: ReviewPolicy): SynthItem[] {
  return items
    .filter((it) => (policy === 'accepted' ? it.status === 'accepted' : it.status !== 'rejected'))
    .map((it) => ({ ...it, negatives: it.negatives.filter((n) => !n.falseNegative) }));
}
