import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test, type Page } from '@playwright/test';
import { loadDemo, NUM, openApp, pageErrors, shot } from './app';

/** A three-document general collection (no medical word in its name or texts). */
const TINY = [
  {
    name: 'corpus.jsonl',
    mimeType: 'application/json',
    buffer: Buffer.from(
      [
        { _id: 'd1', title: 'Wing', text: 'lift on a swept wing at high speed' },
        { _id: 'd2', title: 'Bridge', text: 'load on a steel bridge in wind' },
        { _id: 'd3', title: 'Bread', text: 'yeast and flour make bread rise' },
      ]
        .map((d) => JSON.stringify(d))
        .join('\n'),
    ),
  },
  {
    name: 'queries.jsonl',
    mimeType: 'application/json',
    buffer: Buffer.from(
      '{"_id": "q1", "text": "swept wing lift"}\n{"_id": "q2", "text": "bridge wind load"}\n',
    ),
  },
  {
    name: 'test.tsv',
    mimeType: 'text/tab-separated-values',
    buffer: Buffer.from('query-id\tcorpus-id\tscore\nq1\td1\t1\nq2\td2\t1\n'),
  },
];

const USE = 'USE-lite (Universal Sentence Encoder lite)';
const runLog = (page: Page, dataset: string, retriever: string) =>
  page.locator(`[data-testid=result-row][data-dataset="${dataset}"][data-retriever="${retriever}"]`);
const row = (page: Page, retriever: string) =>
  page.locator(`[data-testid=dash-row][data-retriever="${retriever}"]`);
const cell = (page: Page, retriever: string, task: string) =>
  row(page, retriever).locator(`[data-testid=dash-cell][data-task="${task}"]`);

async function evaluate(page: Page, dataset: string, option: string, id = option) {
  await page.getByTestId('eval-dataset').selectOption(dataset);
  await page.getByTestId('eval-retriever').selectOption(option);
  const before = await runLog(page, dataset, id).count();
  await page.getByTestId('run-eval').click();
  await expect(runLog(page, dataset, id)).toHaveCount(before + 1, { timeout: 120_000 });
  await expect(page.getByTestId('job')).toHaveCount(0);
}

const rowOrder = (page: Page) =>
  page.getByTestId('dash-row').evaluateAll((rs) => rs.map((r) => r.getAttribute('data-retriever')));

test('dashboard: tasks by group, latest run per cell, means, sorting, significance, CSV and MTEB JSON', async ({
  page,
}) => {
  test.setTimeout(180_000);
  const errors = pageErrors(page);
  await openApp(page);

  // groups: the demo is guessed medical, "wind-tunnel" general; a change is stored
  const demo = await loadDemo(page);
  await expect(demo.getByTestId('dataset-group')).toHaveValue('medical');
  await page.getByTestId('import-name').fill('wind-tunnel');
  await page.getByTestId('import-files').setInputFiles(TINY);
  const tiny = page.locator('[data-testid=dataset-row][data-name=wind-tunnel]');
  await expect(tiny.getByTestId('dataset-group')).toHaveValue('general');
  await tiny.getByTestId('dataset-group').selectOption('medical');
  await page.reload();
  await expect(page.getByTestId('app')).toHaveAttribute('data-ready', 'true');
  await page.getByTestId('tab-data').click();
  await expect(tiny.getByTestId('dataset-group')).toHaveValue('medical');
  await tiny.getByTestId('dataset-group').selectOption('general');
  await expect(tiny.getByTestId('dataset-group')).toHaveValue('general');
  await shot(page, '40-data-groups');

  await page.getByTestId('tab-evaluate').click();
  await page.getByTestId('eval-backend').selectOption('cpu');
  await evaluate(page, 'demo', 'bm25');
  await evaluate(page, 'demo', 'use-lite');
  await evaluate(page, 'wind-tunnel', 'bm25');
  await page.getByTestId('eval-dataset').selectOption('demo');
  await page.getByTestId('eval-retriever').selectOption('bm25');
  await page.getByTestId('bm25-k1').fill('0.9');
  await page.getByTestId('bm25-b').fill('0.4');
  await evaluate(page, 'demo', 'bm25', 'bm25 k1=0.9 b=0.4');
  await page.getByTestId('bm25-k1').fill('1.5');
  await page.getByTestId('bm25-b').fill('0.75');
  // a re-run adds no row: the cell shows the latest, the earlier run is in its history
  await evaluate(page, 'demo', 'bm25');

  // a hybrid: BM25 + USE-lite by normalised score fusion (its corpus embeddings come from the cache)
  await page.getByTestId('eval-retriever').selectOption('hybrid:rrf:use-lite');
  await expect(page.getByTestId('hybrid-fusion')).toHaveValue('rrf');
  await page.getByTestId('hybrid-fusion').selectOption('wsum');
  await expect(page.getByTestId('eval-retriever')).toHaveValue('hybrid:wsum@0.5:use-lite');
  await expect(page.getByTestId('hybrid-alpha')).toHaveValue('0.5');
  await evaluate(page, 'demo', 'hybrid:wsum@0.5:use-lite');
  await page.getByTestId('eval-retriever').selectOption('bm25');

  // rows and columns: BM25 (defaults, other k1/b), the hybrid, the base model; demo (medical) then wind-tunnel (general)
  const HYB = 'hybrid:wsum@0.5:use-lite';
  await expect(page.getByTestId('dash-row')).toHaveCount(4);
  expect(await rowOrder(page)).toEqual(['bm25', 'bm25 k1=0.9 b=0.4', HYB, 'use-lite']);
  await expect(page.getByTestId('dash-row-name')).toHaveText([
    'BM25',
    'BM25 (k1 0.9, b 0.4)',
    /^BM25 \+ USE-lite.*α 0\.5/,
    USE,
  ]);
  await expect(page.getByTestId('group-head')).toHaveText(['Medical tasks', 'General tasks']);
  await expect(page.locator('[data-testid=sort-header][data-column^="task:"]')).toHaveText([
    /^demo\/test/,
    /^wind-tunnel\/test/,
  ]);
  await expect(cell(page, 'bm25', 'demo/test').getByTestId('cell-menu-open')).toHaveText('+1');
  const value = async (retriever: string, task: string) =>
    Number(await cell(page, retriever, task).getAttribute('data-value'));
  const bm25Demo = await value('bm25', 'demo/test');
  const bm25Tiny = await value('bm25', 'wind-tunnel/test');
  await expect(cell(page, 'bm25', 'demo/test').getByTestId('dash-value')).toHaveText(NUM);
  // USE-lite on the CPU (the only test of a USE-lite evaluation in the browser): a real ranking
  expect(await value('use-lite', 'demo/test')).toBeGreaterThan(0.3);
  await expect(runLog(page, 'demo', 'use-lite')).toContainText('CPU');
  const mean = (retriever: string, g: string) =>
    row(page, retriever).locator(`[data-testid=dash-mean][data-group=${g}]`);
  expect(Number(await mean('bm25', 'all').getAttribute('data-value'))).toBeCloseTo(
    (bm25Demo + bm25Tiny) / 2,
    12,
  );
  await expect(mean('bm25', 'all')).toHaveAttribute('data-n', '2');
  await expect(mean('bm25', 'medical')).toHaveAttribute('data-value', String(bm25Demo));
  // USE-lite was run on one of the two tasks: its overall mean is not comparable, and is dimmed
  await expect(mean('use-lite', 'all')).toHaveAttribute('data-n', '1');
  await expect(mean('use-lite', 'all')).toHaveAttribute('data-of', '2');
  await expect(mean('use-lite', 'all')).toHaveClass(/incomparable/);
  await expect(mean('bm25', 'all')).not.toHaveClass(/incomparable/);

  // the bar chart of the first task: one bar per retriever run on it, the values of the cells
  await expect(page.getByTestId('bar-chart')).toHaveAttribute('data-task', 'demo/test');
  await expect(page.getByTestId('bar')).toHaveCount(4);
  await expect(page.locator('[data-testid=bar][data-retriever=bm25]')).toHaveAttribute(
    'data-value',
    String(bm25Demo),
  );
  await page.getByTestId('dash-chart-task').selectOption('wind-tunnel/test');
  await expect(page.getByTestId('bar')).toHaveCount(1);

  // sorting by the demo column: high first, then a second click low first
  const demoValues: Record<string, number> = {
    bm25: bm25Demo,
    'bm25 k1=0.9 b=0.4': await value('bm25 k1=0.9 b=0.4', 'demo/test'),
    'use-lite': await value('use-lite', 'demo/test'),
    [HYB]: await value(HYB, 'demo/test'),
  };
  const byDemo = Object.keys(demoValues).sort((x, y) => demoValues[y] - demoValues[x]);
  const header = page.locator('[data-testid=sort-header][data-column="task:demo/test"]');
  await header.getByRole('button').click();
  await expect(header).toHaveAttribute('aria-sort', 'descending');
  expect(await rowOrder(page)).toEqual(byDemo);
  await header.getByRole('button').click();
  await expect(header).toHaveAttribute('aria-sort', 'ascending');
  expect(await rowOrder(page)).toEqual([...byDemo].reverse());
  // another metric
  await page.getByTestId('dash-metric').selectOption('recall@100');
  await expect(page.getByTestId('dash-table')).toHaveAttribute('data-metric', 'recall@100');
  await page.getByTestId('dash-metric').selectOption('ndcg@10');

  // a cell click opens that run's queries
  await cell(page, 'use-lite', 'demo/test').getByTestId('dash-value').click();
  await expect(page.getByTestId('query-list')).toContainText(`${USE} on demo/test`);

  // is the difference real: B = USE-lite against A = BM25
  await page.getByTestId('compare-a').selectOption('bm25');
  await page.getByTestId('compare-b').selectOption('use-lite');
  const sig = page.locator('[data-testid=significance-row][data-task="demo/test"]');
  await expect(sig.getByTestId('p-rand')).toHaveText(/^(< 0\.001|[01]\.\d{3})$/);
  await expect(sig.getByTestId('p-t')).toHaveText(/^(< 0\.001|[01]\.\d{3})$/);
  const pRand = Number(await sig.getAttribute('data-p-rand'));
  expect(pRand).toBeGreaterThan(0);
  expect(pRand).toBeLessThanOrEqual(1);
  await expect(page.getByTestId('significance-missing')).toContainText('B was not run on this task');
  const mark = cell(page, 'use-lite', 'demo/test');
  await expect(mark).toHaveAttribute('data-sig', pRand < 0.05 ? /^[▲▼]$/ : '');
  await expect(page.getByTestId('scatter-point')).toHaveCount(48);
  await page.getByTestId('scatter-point').first().click();
  const side = page.getByTestId('side-by-side');
  await expect(side.getByTestId('side-ranking')).toHaveCount(2);
  await expect(side.getByTestId('side-ranking').first().getByTestId('side-hit')).toHaveCount(10);
  await shot(page, '41-dashboard-significance');

  // CSV: the shown cells, group means and their coverage
  const csvDl = page.waitForEvent('download');
  await page.getByTestId('download-csv').click();
  const csvFile = await csvDl;
  expect(csvFile.suggestedFilename()).toBe('stm-dashboard-ndcg_at_10.csv');
  const csv = readFileSync(await csvFile.path(), 'utf8').split('\r\n');
  expect(csv[0]).toBe(
    'retriever (nDCG@10),demo/test (medical),wind-tunnel/test (general),medical mean,medical mean tasks,general mean,general mean tasks,overall mean,overall mean tasks',
  );
  const bm25Line = csv.find((l) => l.startsWith('BM25,'))?.split(',');
  expect(Number(bm25Line?.[1]).toFixed(3)).toBe(
    await cell(page, 'bm25', 'demo/test').getByTestId('dash-value').innerText(),
  );
  expect(bm25Line?.[8]).toBe('2 of 2');

  // MTEB JSON of USE-lite on demo/test: its ndcg_at_10 is the figure shown
  await cell(page, 'use-lite', 'demo/test').getByTestId('cell-menu-open').click();
  const mtebDl = page.waitForEvent('download');
  await page.getByTestId('cell-menu').getByTestId('download-mteb').first().click();
  const mtebFile = await mtebDl;
  expect(mtebFile.suggestedFilename()).toBe('USE-lite_Universal_Sentence_Encoder_lite__demo.json');
  const mteb = JSON.parse(readFileSync(await mtebFile.path(), 'utf8'));
  const shown = await cell(page, 'use-lite', 'demo/test').getByTestId('dash-value').innerText();
  expect(mteb.scores.test[0].ndcg_at_10.toFixed(3)).toBe(shown);
  expect(mteb.task_name).toBe('demo');
  expect(mteb.dataset_revision).toMatch(/^[0-9a-f]{16}$/);
  // a plain Python script reads the same figure, where Python is installed
  const copy = join(tmpdir(), `stm-mteb-${Date.now()}.json`);
  writeFileSync(copy, readFileSync(await mtebFile.path()));
  const py = spawnSync(
    'python3',
    [
      '-c',
      'import json,sys; print("%.3f" % json.load(open(sys.argv[1]))["scores"]["test"][0]["ndcg_at_10"])',
      copy,
    ],
    {
      encoding: 'utf8',
    },
  );
  if (!py.error) expect(py.stdout.trim()).toBe(shown);

  // the TREC run of the same cell, named for the hits it kept
  const trecDl = page.waitForEvent('download');
  await page.getByTestId('cell-menu').getByTestId('download-trec').first().click();
  const trecFile = await trecDl;
  expect(trecFile.suggestedFilename()).toBe('demo-test-use-lite-top100.trec');
  const trec = readFileSync(await trecFile.path(), 'utf8').split('\n');
  expect(trec[0]).toMatch(/^\S+ Q0 \S+ 1 -?[\d.e-]+ use-lite$/);
  await shot(page, '42-dashboard-cell-menu');
  await page.keyboard.press('Escape');
  await expect(page.getByTestId('cell-menu')).toHaveCount(0);
  // BM25's demo cell keeps the re-run: both runs in its history, the latest shown
  await cell(page, 'bm25', 'demo/test').getByTestId('cell-menu-open').click();
  await expect(page.getByTestId('cell-menu').getByTestId('cell-run')).toHaveCount(2);
  await expect(page.getByTestId('cell-menu').getByTestId('cell-run').first()).toHaveAttribute(
    'data-run',
    (await cell(page, 'bm25', 'demo/test').getAttribute('data-run')) ?? '',
  );
  await page.getByRole('heading', { name: 'Results' }).click();
  await expect(page.getByTestId('cell-menu')).toHaveCount(0);
  expect(errors).toEqual([]);
});
