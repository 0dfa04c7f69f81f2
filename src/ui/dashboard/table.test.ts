import { describe, expect, it } from 'vitest';
import type { EvalReport } from '../../eval/types';
import type { DatasetMeta, RunRecord } from '../../store/db';
import { dashboardCsv, csvField } from './csv';
import { compareRows, mark } from './compare';
import { mtebFile, trecFile } from './exports';
import { buildTable, nextSort, rowKind, sortRows } from './table';

const meta = (name: string, group?: 'medical' | 'general'): DatasetMeta => ({
  name,
  description: '',
  importedAt: '2026-01-01T00:00:00Z',
  counts: { docs: 1, queries: 1 },
  splits: { test: { queries: 1, judgments: 1 } },
  chunks: { docs: 1, queries: 1, qrels: 1 },
  fingerprint: 'f',
  ...(group ? { group } : {}),
});
let seq = 0;
function run(
  retriever: string,
  dataset: string,
  ndcg: number,
  createdAt: string,
  extra: Partial<EvalReport> = {},
): RunRecord {
  const report = {
    dataset,
    split: 'test',
    retriever,
    backend: 'cpu',
    metrics: { 'ndcg@10': ndcg, 'map@100': ndcg / 2 },
    perQuery: {},
    queries: 10,
    seconds: 1,
    createdAt,
    ...extra,
  } as unknown as EvalReport;
  return { id: `r${++seq}`, dataset, split: 'test', retriever, backend: 'cpu', createdAt, report };
}

// med and medquad medical (one by the stored group, one by the guess), cran general (stored, overriding nothing)
const DATASETS = [meta('med', 'medical'), meta('medquad'), meta('cran', 'general')];
const RUNS = [
  run('bm25', 'med', 0.7, '2026-01-01T10:00:00Z'),
  run('bm25', 'med', 0.69, '2026-01-02T10:00:00Z'), // a re-run: the latest is shown
  run('bm25', 'medquad', 0.76, '2026-01-01T10:00:00Z'),
  run('bm25', 'cran', 0.36, '2026-01-01T10:00:00Z'),
  run('use-lite', 'med', 0.5, '2026-01-01T11:00:00Z'),
  run('use-lite', 'cran', 0.4, '2026-01-01T11:00:00Z'),
  run('expert:e1', 'med', 0.9, '2026-01-01T12:00:00Z', { overlapQueries: 5 }), // trained on these queries
  run('hybrid:rrf:use-lite', 'cran', 0.45, '2026-01-01T12:00:00Z'),
];

describe('buildTable', () => {
  const t = buildTable(RUNS, DATASETS, 'ndcg@10', { merges: new Set(['expert:m1']) });

  it('makes one column per task, medical first, and one row per retriever in kind order', () => {
    expect(t.tasks.map((x) => `${x.key}:${x.group}`)).toEqual([
      'med/test:medical',
      'medquad/test:medical',
      'cran/test:general',
    ]);
    expect(t.rows.map((r) => r.retriever)).toEqual(['bm25', 'hybrid:rrf:use-lite', 'use-lite', 'expert:e1']);
    expect(t.rows.map((r) => r.kind)).toEqual(['bm25', 'hybrid', 'model', 'expert']);
    expect(rowKind('expert:m1', new Set(['expert:m1']))).toBe('merge');
    expect(rowKind('bm25 k1=0.9 b=0.4', new Set())).toBe('bm25');
  });

  it('keeps the latest run in the cell and the earlier ones in its history', () => {
    const c = t.rows[0].cells.get('med/test');
    expect(c?.value).toBe(0.69);
    expect(c?.history.map((r) => r.report.metrics['ndcg@10'])).toEqual([0.7]);
  });

  it('means over the tasks a row has, with how many of the group they cover', () => {
    const bm25 = t.rows[0].means;
    expect(bm25.medical).toMatchObject({ n: 2, of: 2 });
    expect(bm25.medical.value).toBeCloseTo((0.69 + 0.76) / 2, 12);
    expect(bm25.general).toMatchObject({ value: 0.36, n: 1, of: 1 });
    expect(bm25.all.value).toBeCloseTo((0.69 + 0.76 + 0.36) / 3, 12);
    const use = t.rows[2].means;
    expect(use.medical).toMatchObject({ value: 0.5, n: 1, of: 2 }); // not comparable with BM25's
    expect(t.rows[1].means.medical).toMatchObject({ value: null, n: 0, of: 2 });
  });

  it('marks the best per column among runs that may win, and comparable means only', () => {
    // the expert's 0.9 on med was scored on its training queries: never best
    expect(t.rows[3].cells.get('med/test')?.leaked).toBe(true);
    expect(t.best.get('med/test')).toBe(0.69);
    expect(t.best.get('cran/test')).toBe(0.45);
    expect(t.best.has('medquad/test')).toBe(false); // one row only
    expect(t.best.get('mean:general')).toBe(0.45);
    expect(t.best.has('mean:medical')).toBe(false); // only BM25 covers both medical tasks
  });

  it('reads another metric', () => {
    const m = buildTable(RUNS, DATASETS, 'map@100');
    expect(m.rows[0].cells.get('cran/test')?.value).toBe(0.18);
    expect(buildTable(RUNS, DATASETS, 'mrr@10').rows[0].cells.get('cran/test')?.value).toBeUndefined();
  });
});

describe('sortRows', () => {
  const t = buildTable(RUNS, DATASETS, 'ndcg@10');
  const ids = (s: Parameters<typeof sortRows>[1]) => sortRows(t.rows, s).map((r) => r.retriever);
  it('sorts by a task, empty cells last in both directions', () => {
    expect(ids({ column: 'task:cran/test', dir: 'desc' })).toEqual([
      'hybrid:rrf:use-lite',
      'use-lite',
      'bm25',
      'expert:e1',
    ]);
    expect(ids({ column: 'task:cran/test', dir: 'asc' })).toEqual([
      'bm25',
      'use-lite',
      'hybrid:rrf:use-lite',
      'expert:e1',
    ]);
  });
  it('sorts by a mean and by name; a click on the same header toggles', () => {
    expect(ids({ column: 'mean:all', dir: 'desc' })[0]).toBe('expert:e1');
    expect(ids({ column: 'name', dir: 'asc' })).toEqual([
      'bm25',
      'expert:e1',
      'hybrid:rrf:use-lite',
      'use-lite',
    ]);
    expect(nextSort(null, 'task:med/test')).toEqual({ column: 'task:med/test', dir: 'desc' });
    expect(nextSort({ column: 'task:med/test', dir: 'desc' }, 'task:med/test').dir).toBe('asc');
    expect(nextSort({ column: 'task:med/test', dir: 'asc' }, 'name')).toEqual({ column: 'name', dir: 'asc' });
  });
});

describe('dashboardCsv', () => {
  it('quotes fields as RFC 4180 says', () => {
    expect(csvField('plain')).toBe('plain');
    expect(csvField('a,b')).toBe('"a,b"');
    expect(csvField('say "hi"')).toBe('"say ""hi"""');
    expect(csvField('two\nlines')).toBe('"two\nlines"');
    expect(csvField(undefined)).toBe('');
    expect(csvField(0.5)).toBe('0.5');
  });
  it('writes the metric, every task, the group means and their coverage, CRLF lines', () => {
    const t = buildTable(RUNS, DATASETS, 'ndcg@10');
    const csv = dashboardCsv(t, (r) => (r === 'bm25' ? 'BM25, Lucene' : r));
    const lines = csv.split('\r\n');
    expect(lines[0]).toBe(
      'retriever (nDCG@10),med/test (medical),medquad/test (medical),cran/test (general),medical mean,medical mean tasks,general mean,general mean tasks,overall mean,overall mean tasks',
    );
    expect(lines[1]).toBe(
      `"BM25, Lucene",0.69,0.76,0.36,${(0.69 + 0.76) / 2},2 of 2,0.36,1 of 1,${(0.69 + 0.76 + 0.36) / 3},3 of 3`,
    );
    expect(lines[3]).toBe('use-lite,0.5,,0.4,0.5,1 of 2,0.4,1 of 1,0.45,2 of 3');
    expect(lines).toHaveLength(t.rows.length + 2);
    expect(lines.at(-1)).toBe('');
  });
});

describe('exports', () => {
  it('names the MTEB file by retriever and task and reads the run metrics under MTEB names', () => {
    const r = run('hybrid:rrf:use-lite', 'med', 0.61, '2026-01-03T00:00:00Z');
    const f = mtebFile(r, { ...meta('med'), fingerprint: 'abc123' }, 'BM25 + USE-lite (RRF)');
    expect(f.name).toBe('BM25_USE-lite_RRF__med.json');
    const j = JSON.parse(f.text);
    expect(j).toMatchObject({ task_name: 'med', dataset_revision: 'abc123' });
    expect(j.scores.test[0].ndcg_at_10).toBe(0.61);
  });
  it('writes the kept hits as a TREC run and says how deep they go in the name', () => {
    const r = run('bm25 k1=0.9 b=0.4', 'med', 0.5, '2026-01-03T00:00:00Z');
    const f = trecFile(
      r,
      {
        q2: [{ docId: 'd9', score: 1.5 }],
        q1: [
          { docId: 'd1', score: 2 },
          { docId: 'd2', score: 3 },
        ],
      },
      100,
    );
    expect(f.name).toBe('med-test-bm25_k1_0.9_b_0.4-top100.trec');
    expect(f.text).toBe(
      'q1 Q0 d2 1 3 bm25_k1_0.9_b_0.4\nq1 Q0 d1 2 2 bm25_k1_0.9_b_0.4\nq2 Q0 d9 1 1.5 bm25_k1_0.9_b_0.4\n',
    );
  });
});

describe('compareRows', () => {
  it('tests B against A per task on the latest runs, and says why a task has no test', () => {
    const perQuery = (vals: number[]) => Object.fromEntries(vals.map((v, i) => [`q${i}`, { 'ndcg@10': v }]));
    const a = [0.1, 0.2, 0.3, 0.2, 0.1, 0.3, 0.2, 0.1, 0.3, 0.2, 0.2, 0.1];
    const b = a.map((x) => x + 0.3);
    const runs = [
      run('bm25', 'med', 0.2, '2026-01-01T00:00:00Z', { perQuery: perQuery(a) } as Partial<EvalReport>),
      run('use-lite', 'med', 0.5, '2026-01-01T00:00:00Z', { perQuery: perQuery(b) } as Partial<EvalReport>),
      run('bm25', 'cran', 0.3, '2026-01-01T00:00:00Z'),
    ];
    const t = buildTable(runs, DATASETS, 'ndcg@10');
    const [A, B] = [
      t.rows.find((r) => r.retriever === 'bm25')!,
      t.rows.find((r) => r.retriever === 'use-lite')!,
    ];
    const c = compareRows(A, B, t.tasks, 'ndcg@10');
    const med = c.find((x) => x.task.key === 'med/test')!;
    expect('result' in med && med.result.wins).toBe(12);
    // every query up by 0.3: only the identity and its mirror are as extreme, p = (1 + 1) / 10,001 (the mirror's draws)
    expect('result' in med && med.result.randomisation.p).toBeLessThan(0.001);
    expect(mark(med)).toBe('▲');
    expect(mark(compareRows(B, A, t.tasks, 'ndcg@10')[0])).toBe('▼');
    const cran = c.find((x) => x.task.key === 'cran/test')!;
    expect(cran).toMatchObject({ missing: 'B was not run on this task' });
    expect(mark(cran)).toBe('');
  });
});
