/**
 * BM25 on the shared real collections (test split), nDCG@10 against the floors set for the
 * project (reference Lucene BM25: .693 med, .357 cran, .758 medquad). Runs where ../shared/datasets
 * (or STM_DATASETS) holds med, cran and medquad.
 */
import { describe, expect, it } from 'vitest';
import { Bm25Index } from './bm25';
import { evaluateRun } from './metrics';
import { hasSharedDatasets, loadSharedDataset, sharedDatasetsDir } from '../data/node';
import type { StemMode } from './analyzer';

const FLOOR: Record<string, number> = { med: 0.663, cran: 0.327, medquad: 0.728 };

const HAVE_REAL_DATA = hasSharedDatasets(['med', 'cran', 'medquad']);
if (!HAVE_REAL_DATA)
  console.warn(`bm25.real.test: med, cran, medquad not all under ${sharedDatasetsDir()}; skipped`);

describe.skipIf(!HAVE_REAL_DATA)('BM25 on real data (test split)', () => {
  const results: string[] = [];
  for (const name of ['med', 'cran', 'medquad']) {
    it(`${name}: nDCG@10 above the floor with every stemming mode`, async () => {
      const ds = await loadSharedDataset(name);
      const qrels = ds.qrels.test;
      const queries = ds.queries.filter((q) => qrels.has(q.id));
      const ndcg: Partial<Record<StemMode | 'default', number>> = {};
      for (const stem of ['none', 's', 'porter', undefined] as const) {
        const index = Bm25Index.build(ds.docs, stem === undefined ? {} : { stem });
        const r = evaluateRun(index.searchAll(queries, 1000), qrels);
        expect(r.queries).toBe(qrels.size);
        ndcg[stem ?? 'default'] = r.mean['ndcg@10'];
        results.push(
          `${name} stem=${stem ?? 'default'} nDCG@10=${r.mean['ndcg@10'].toFixed(4)} R@100=${r.mean['recall@100'].toFixed(4)}`,
        );
        expect(r.mean['ndcg@10']).toBeGreaterThanOrEqual(FLOOR[name]);
      }
      expect(ndcg.default).toBe(ndcg.s);
      console.log(results.filter((l) => l.startsWith(name)).join('\n'));
    });
  }
});
