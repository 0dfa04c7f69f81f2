/**
 * The paired tests on real per-query scores: BM25 (k1 1.5, b 0.75) against BM25 (k1 0.9, b 0.4) on med's 30
 * test queries, nDCG@10. The module's Monte-Carlo p agrees with the test suite's independent implementation
 * (same seed) to 1e-3; where Python's scipy is installed, the t-test p matches scipy.stats.ttest_rel to 1e-9
 * and the randomisation p scipy's permutation_test (50,000 resamples) to 1e-2.
 */
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { hasSharedDatasets, loadSharedDataset } from '../data/node';
import { Bm25Index } from './bm25';
import { evaluateRun } from './metrics';
import { compareRuns, DEFAULT_SEED } from './significance';
import { monteCarloIndependent } from '../testing/significance-reference';

const HAVE = hasSharedDatasets(['med']);
const SCIPY = spawnSync('python3', ['-c', 'import scipy'], { encoding: 'utf8' }).status === 0;

describe.skipIf(!HAVE)('significance on med (BM25 against BM25 k1 0.9 b 0.4)', () => {
  it('agrees with an independent implementation, and with scipy where installed', async () => {
    const ds = await loadSharedDataset('med');
    const qrels = ds.qrels.test;
    const queries = ds.queries.filter((q) => qrels.has(q.id));
    const a = evaluateRun(Bm25Index.build(ds.docs).searchAll(queries, 1000), qrels).perQuery;
    const b = evaluateRun(
      Bm25Index.build(ds.docs, { k1: 0.9, b: 0.4 }).searchAll(queries, 1000),
      qrels,
    ).perQuery;
    const c = compareRuns(a, b, 'ndcg@10');
    expect(c.queries).toHaveLength(30);
    const ref = monteCarloIndependent(c.a, c.b, 10_000, DEFAULT_SEED);
    expect(Math.abs(c.randomisation.p - ref)).toBeLessThan(1e-3);
    console.log(
      `med BM25 vs k1 0.9 b 0.4: mean ${c.meanA.toFixed(4)} vs ${c.meanB.toFixed(4)}, p rand ${c.randomisation.p.toFixed(4)} (independent ${ref.toFixed(4)}), p t ${c.tTest.p.toFixed(4)}, wins/losses/ties ${c.wins}/${c.losses}/${c.ties}`,
    );
    if (!SCIPY) return;
    const py = spawnSync(
      'python3',
      [
        '-c',
        [
          'import json, sys, numpy as np',
          'from scipy import stats',
          'a, b = (np.array(x) for x in json.loads(sys.stdin.read()))',
          'r = stats.permutation_test((a, b), lambda x, y, axis: np.mean(y - x, axis=axis), permutation_type="samples", n_resamples=50000, alternative="two-sided", random_state=1)',
          'print(json.dumps([float(stats.ttest_rel(b, a).pvalue), float(r.pvalue)]))',
        ].join('\n'),
      ],
      { input: JSON.stringify([c.a, c.b]), encoding: 'utf8' },
    );
    expect(py.status, py.stderr).toBe(0);
    const [pt, pr] = JSON.parse(py.stdout) as [number, number];
    expect(Math.abs(c.tTest.p - pt)).toBeLessThan(1e-9);
    expect(Math.abs(c.randomisation.p - pr)).toBeLessThan(1e-2);
  });
});
