/** Display names for the ids the store keeps (retrievers are 'bm25', a model id or 'expert:<id>'). */
import { EXPERT_PREFIX } from '../../experts/record';

interface Named {
  id: string;
  name: string;
}

/**
 * What a person reads for a retriever id: "BM25", the model's name, "<expert name> (expert)", or, for an
 * expert that was deleted since, "deleted expert" (never the raw `expert:x-…` id).
 */
export function retrieverName(
  retriever: string,
  known: { experts: readonly Named[]; models: readonly Named[] },
): string {
  if (retriever === 'bm25') return 'BM25';
  if (retriever.startsWith(EXPERT_PREFIX)) {
    const e = known.experts.find((x) => `${EXPERT_PREFIX}${x.id}` === retriever);
    return e ? `${e.name} (expert)` : 'deleted expert';
  }
  return known.models.find((m) => m.id === retriever)?.name ?? retriever;
}
