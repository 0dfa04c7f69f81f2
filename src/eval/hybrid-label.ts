/**
 * Hybrid retrieval (BM25 + a dense model) as runs name it. The fusion itself is in src/eval/hybrid.ts.
 * rrf: reciprocal-rank fusion, score(d) = Σ 1 / (k + rank(d)) over the two lists, k = 60.
 * wsum: normalised score fusion, α · minmax(dense) + (1 − α) · minmax(bm25) per query.
 */
export type Fusion = 'rrf' | 'wsum';
export const RRF_K = 60;
export const DEFAULT_ALPHA = 0.5;
export const HYBRID_PREFIX = 'hybrid:';

export interface HybridSpec {
  /** the dense side: a model id or 'expert:<id>' */
  readonly dense: string;
  readonly fusion: Fusion;
  /** wsum only: the dense side's weight in 0..1 (default 0.5) */
  readonly alpha?: number;
}

/** The retriever id of a hybrid run: "hybrid:rrf:<dense>" or "hybrid:wsum@0.3:<dense>". */
export function hybridLabel(spec: HybridSpec): string {
  const how = spec.fusion === 'rrf' ? 'rrf' : `wsum@${spec.alpha ?? DEFAULT_ALPHA}`;
  return `${HYBRID_PREFIX}${how}:${spec.dense}`;
}

/** The spec of a hybrid retriever id, or null when the id is not one. */
export function parseHybridLabel(id: string): HybridSpec | null {
  if (!id.startsWith(HYBRID_PREFIX)) return null;
  const rest = id.slice(HYBRID_PREFIX.length);
  const colon = rest.indexOf(':');
  if (colon < 0) return null;
  const how = rest.slice(0, colon);
  const dense = rest.slice(colon + 1);
  if (dense === '') return null;
  if (how === 'rrf') return { dense, fusion: 'rrf' };
  const m = /^wsum@([0-9.]+)$/.exec(how);
  if (!m) return null;
  const alpha = Number(m[1]);
  return Number.isFinite(alpha) && alpha >= 0 && alpha <= 1 ? { dense, fusion: 'wsum', alpha } : null;
}
