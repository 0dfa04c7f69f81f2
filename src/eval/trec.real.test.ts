/**
 * Cross-check of evaluateRun against scripts/trec_eval.py, an independent Python scorer: BM25 on
 * med writes a TREC run file, Python scores it, and nDCG@10 and recall@100 must agree to 1e-4.
 */
import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Bm25Index } from './bm25';
import { evaluateRun } from './metrics';
import { formatTrecRun } from './trec';
import { hasSharedDatasets, loadSharedDataset, sharedDatasetsDir } from '../data/node';

const SCORER = resolve(__dirname, '../../scripts/trec_eval.py');
const HAVE_MED = hasSharedDatasets(['med']);
if (!HAVE_MED) console.warn(`trec.real.test: no med under ${sharedDatasetsDir()}; skipped`);

function pythonScores(qrelsPath: string, runText: string, cutoffs: string): Record<string, number> {
  const dir = mkdtempSync(join(tmpdir(), 'stm-trec-'));
  try {
    const runPath = join(dir, 'run.trec');
    writeFileSync(runPath, runText);
    const out = execFileSync('python3', [SCORER, qrelsPath, runPath, '--k', cutoffs], { encoding: 'utf8' });
    return JSON.parse(out) as Record<string, number>;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe.skipIf(!HAVE_MED)('evaluateRun agrees with the independent Python scorer', () => {
  it('BM25 on med: nDCG@10 and recall@100 to 1e-4', async () => {
    const ds = await loadSharedDataset('med');
    const qrels = ds.qrels.test;
    const run = Bm25Index.build(ds.docs).searchAll(ds.queries, 1000);
    const ts = evaluateRun(run, qrels);
    const py = pythonScores(
      join(sharedDatasetsDir(), 'med', 'qrels', 'test.tsv'),
      formatTrecRun(run, 'bm25'),
      '1,10,100',
    );
    expect(py.queries).toBe(ts.queries);
    expect(Math.abs(py['ndcg@10'] - ts.mean['ndcg@10'])).toBeLessThan(1e-4);
    expect(Math.abs(py['recall@100'] - ts.mean['recall@100'])).toBeLessThan(1e-4);
    expect(Math.abs(py['ndcg@1'] - ts.mean['ndcg@1'])).toBeLessThan(1e-4);
    console.log(`med BM25 nDCG@10 TS ${ts.mean['ndcg@10'].toFixed(6)} / Python ${py['ndcg@10'].toFixed(6)}`);
  });

  it('ties and graded qrels: both scorers rank tied docs by id descending', () => {
    const dir = mkdtempSync(join(tmpdir(), 'stm-qrels-'));
    try {
      const qrelsPath = join(dir, 'q.tsv');
      writeFileSync(qrelsPath, 'query-id\tcorpus-id\tscore\nq1\ta\t2\nq1\tc\t1\nq2\tz\t1\nq3\tm\t0\n');
      const run = new Map([
        [
          'q1',
          [
            { docId: 'a', score: 1 },
            { docId: 'b', score: 1 },
            { docId: 'c', score: 0.5 },
          ],
        ],
        [
          'q2',
          [
            { docId: 'y', score: 0.25 },
            { docId: 'z', score: 0.25 },
          ],
        ],
      ]);
      const ts = evaluateRun(
        run,
        new Map([
          [
            'q1',
            new Map([
              ['a', 2],
              ['c', 1],
            ]),
          ],
          ['q2', new Map([['z', 1]])],
          ['q3', new Map([['m', 0]])],
        ]),
        [1, 2, 10],
      );
      const py = pythonScores(qrelsPath, formatTrecRun(run, 't'), '1,2,10');
      for (const key of ['ndcg@1', 'ndcg@2', 'ndcg@10', 'recall@1', 'recall@2'] as const) {
        expect(Math.abs(py[key] - ts.mean[key])).toBeLessThan(1e-9);
      }
      expect(py.queries).toBe(3);
      expect(ts.mean['ndcg@1']).toBeCloseTo(1 / 3, 12); // q2 only: z beats y on the tie
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
