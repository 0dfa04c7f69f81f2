/** Issue 8 item 4: a split without relevant judgements warns; a missing split lists the ones there are. */
import 'fake-indexeddb/auto';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../testing/cli';
import { evaluate } from '../eval/evaluate';
import { nodeEngineDeps } from '../testing/engine-deps';
import { connectInProcess } from '../worker/local';
import { qrelsOf, qrelsWarnings } from './qrels-check';
import type { Dataset } from './types';

const CORPUS = ['heart attack signs', 'kidney stones pain', 'flu vaccine in winter'];
const QUERIES = ['heart attack', 'kidney pain'];
/** qrels TSV per split: all zero (test), one query without a relevant doc (partial), fine (dev) */
const QRELS: Record<string, string> = {
  test: 'q0\td0\t0\nq1\td1\t-1\n',
  partial: 'q0\td0\t1\nq1\td1\t0\n',
  dev: 'q0\td0\t2\nq1\td1\t1\n',
};

function dataset(): Dataset {
  const parse = (tsv: string) => {
    const m = new Map<string, Map<string, number>>();
    for (const row of tsv.trim().split('\n')) {
      const [q, d, g] = row.split('\t');
      m.set(q, (m.get(q) ?? new Map<string, number>()).set(d, Number(g)));
    }
    return m;
  };
  return {
    name: 'tiny',
    docs: CORPUS.map((text, i) => ({ id: `d${i}`, title: '', text })),
    queries: QUERIES.map((text, i) => ({ id: `q${i}`, text })),
    qrels: Object.fromEntries(Object.entries(QRELS).map(([s, t]) => [s, parse(t)])),
  };
}

function files(): { corpus: string; queries: string; qrels: Record<string, string> } {
  return {
    corpus: CORPUS.map((text, i) => JSON.stringify({ _id: `d${i}`, text })).join('\n') + '\n',
    queries: QUERIES.map((text, i) => JSON.stringify({ _id: `q${i}`, text })).join('\n') + '\n',
    qrels: Object.fromEntries(Object.entries(QRELS).map(([s, t]) => [s, 'query-id\tcorpus-id\tscore\n' + t])),
  };
}

describe('qrels checks', () => {
  it('warns about a split whose judgements are all ≤ 0, and about queries without a relevant doc', () => {
    const ds = dataset();
    expect(qrelsWarnings(ds, 'test')).toEqual([expect.stringMatching(/no relevant judgement: all 2 judged queries have grades ≤ 0, so every metric is 0/)]);
    expect(qrelsWarnings(ds, 'partial')).toEqual([expect.stringMatching(/^1 of 2 judged queries of split "partial" have no relevant document/)]);
    expect(qrelsWarnings(ds, 'dev')).toEqual([]);
    expect(() => qrelsOf(ds, 'train')).toThrow('dataset "tiny" has no qrels split "train"; its splits: dev, partial, test');
    expect(() => qrelsOf(ds, 'constructor')).toThrow(/no qrels split "constructor"/);
  }); // prettier-ignore

  it('evaluate() puts the warning in its report (BM25 scores 0 on the all-zero split)', async () => {
    const { report } = await evaluate({ dataset: dataset(), split: 'test', retriever: { kind: 'bm25' } });
    expect(report.metrics['ndcg@10']).toBe(0);
    expect(report.warnings).toHaveLength(1);
    const dev = await evaluate({ dataset: dataset(), split: 'dev', retriever: { kind: 'bm25' } });
    expect(dev.report.warnings).toBeUndefined();
  });

  it('the worker stores the warning with the run and names the splits of a missing one', async () => {
    const deps = nodeEngineDeps(`qrels-check-${Date.now()}`);
    const { client } = connectInProcess(deps, () => undefined);
    const f = files();
    await client.request('import-dataset', {
      files: [
        new File([f.corpus], 'corpus.jsonl'),
        new File([f.queries], 'queries.jsonl'),
        ...Object.entries(f.qrels).map(([s, t]) => new File([t], `${s}.tsv`)),
      ],
      name: 'tiny',
    });
    const req = { dataset: 'tiny', retriever: 'bm25', backend: 'cpu' } as const;
    const rec = await client.request('evaluate', { ...req, split: 'test' });
    expect(rec.report.warnings?.[0]).toMatch(/no relevant judgement/);
    const [stored] = await client.request('list-runs', { dataset: 'tiny' });
    expect(stored.report.warnings).toEqual(rec.report.warnings);
    await expect(client.request('evaluate', { ...req, split: 'train' })).rejects.toThrow(
      /no qrels split "train"; its splits: dev, partial, test/,
    );
  });
});

describe('stm eval on such splits', () => {
  const dir = mkdtempSync(join(tmpdir(), 'stm-qrels-'));
  const f = files();
  writeFileSync(join(dir, 'corpus.jsonl'), f.corpus);
  writeFileSync(join(dir, 'queries.jsonl'), f.queries);
  mkdirSync(join(dir, 'qrels'));
  for (const [s, t] of Object.entries(f.qrels)) writeFileSync(join(dir, 'qrels', `${s}.tsv`), t);

  const cli = (args: string[]) => runCli(['eval', '--dataset', dir, ...args]);

  it('prints the warning on stderr and in --json, exit 0', async () => {
    const r = await cli(['--retriever', 'bm25', '--split', 'test', '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/warning: split "test" of "stm-qrels-\w+" has no relevant judgement/);
    const json = JSON.parse(r.stdout.trimEnd().split('\n').pop()!) as { warnings: string[] };
    expect(json.warnings).toHaveLength(1);
  }, 60_000);

  it('a missing split fails with the list, before any model or backend is loaded', async () => {
    const r = await cli(['--model', 'glove', '--backend', 'cpu', '--split', 'train']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/no qrels split "train"; its splits: dev, partial, test/);
    expect(r.stderr).not.toMatch(/backend cpu/);
  }, 60_000);
});
