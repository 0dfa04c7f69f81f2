import type { ExpertRecord } from '../../experts/record';

/** An expert's latest dev nDCG@10 (its final metric, else the last one in its history). */
export function lastDev(e: ExpertRecord): number | undefined {
  return (
    e.metrics?.['dev ndcg@10'] ?? [...e.history].reverse().find((h) => h.devNdcg10 !== undefined)?.devNdcg10
  );
}
