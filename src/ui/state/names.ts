/**
 * Display names for the ids the store keeps (retrievers are 'bm25' or 'bm25 k1=… b=…', a model id,
 * 'expert:<id>' or a hybrid 'hybrid:<fusion>:<dense>').
 */
import { EXPERT_PREFIX } from '../../experts/record';
import { parseHybridLabel } from '../../eval/hybrid-label';

interface Named {
  id: string;
  name: string;
  /** set on an expert that is a merge of others */
  merge?: unknown;
}

/** The BM25 parameters of a 'bm25 k1=0.9 b=0.4' id, or null when the id is not such a BM25 run. */
function bm25Params(retriever: string): string | null {
  const m = /^bm25 k1=([0-9.]+) b=([0-9.]+)$/.exec(retriever);
  return m ? `k1 ${m[1]}, b ${m[2]}` : null;
}

/**
 * What a person reads for a retriever id: "BM25" (with its k1/b when not the defaults), the model's
 * name, "<expert name> (expert)" or "(merge)", "BM25 + <dense name> (RRF)" or "(α 0.3)" for a hybrid,
 * or, for an expert that was deleted since, "deleted expert" (never the raw `expert:x-…` id).
 */
export function retrieverName(
  retriever: string,
  known: { experts: readonly Named[]; models: readonly Named[] },
): string {
  if (retriever === 'bm25') return 'BM25';
  const bm = bm25Params(retriever);
  if (bm) return `BM25 (${bm})`;
  const hybrid = parseHybridLabel(retriever);
  if (hybrid) {
    const how = hybrid.fusion === 'rrf' ? 'RRF' : `α ${hybrid.alpha}`;
    return `BM25 + ${retrieverName(hybrid.dense, known)} (${how})`;
  }
  if (retriever.startsWith(EXPERT_PREFIX)) {
    const e = known.experts.find((x) => `${EXPERT_PREFIX}${x.id}` === retriever);
    return e ? `${e.name} (${e.merge ? 'merge' : 'expert'})` : 'deleted expert';
  }
  return known.models.find((m) => m.id === retriever)?.name ?? retriever;
}
