import { expect, test, type Page } from '@playwright/test';
import { loadDemo, NUM, openApp, pageErrors, shot } from './app';

async function runEval(page: Page, retriever: string) {
  const before = await page.locator(`[data-testid=result-row][data-retriever="${retriever}"]`).count();
  await page.getByTestId('eval-retriever').selectOption(retriever);
  await page.getByTestId('run-eval').click();
  await expect(page.locator(`[data-testid=result-row][data-retriever="${retriever}"]`)).toHaveCount(
    before + 1,
    { timeout: 240_000 },
  );
  await expect(page.getByTestId('job')).toHaveCount(0);
}

test.describe.configure({ mode: 'serial' });

test('demo collection: BM25 and GloVe results, drill-down, persistence, offline', async ({
  page,
  context,
}) => {
  const errors = pageErrors(page);

  await openApp(page);
  await page.getByTestId('tab-data').click();
  await shot(page, '01-empty');
  await page.getByTestId('load-demo').click();
  const demo = page.locator('[data-testid=dataset-row][data-name=demo]');
  await expect(demo).toBeVisible();
  expect(Number((await demo.getByTestId('dataset-docs').innerText()).replace(/,/g, ''))).toBeGreaterThan(10);
  await shot(page, '02-data');

  await demo.getByTestId('evaluate-dataset').click();
  await expect(page.getByTestId('eval-dataset')).toHaveValue('demo');
  await expect(page.getByTestId('eval-split')).toHaveValue('test');
  await runEval(page, 'bm25');

  // 'auto' passes over SwiftShader (this browser's only WebGPU adapter, a software renderer) for the CPU,
  // and the header says so; the GloVe run below asks for WebGPU on purpose to run the WGSL kernels
  const label = page.getByTestId('backend-label');
  await expect(label).toHaveText('Backend starts with the first dense run');
  await page.getByTestId('eval-backend').selectOption('webgpu');
  await expect(label).toContainText(/^WebGPU · .*SwiftShader.* \(software renderer, slow\)$/i);
  await expect(label).toHaveAttribute('title', /^webgpu: as asked, on SwiftShader \(a software renderer/);

  // GloVe: the page shows progress while it embeds, then a second row
  await page.getByTestId('eval-retriever').selectOption('glove');
  await page.getByTestId('run-eval').click();
  await expect(page.getByTestId('job')).toBeVisible();
  await expect(page.getByTestId('job-progress')).toBeVisible();
  await shot(page, '03-running');
  await expect(page.locator('[data-testid=result-row][data-retriever=glove]')).toHaveCount(1, {
    timeout: 240_000,
  });
  await expect(page.locator('[data-testid=result-row][data-retriever=glove]')).toContainText('WebGPU');
  await page.getByTestId('backend-pref').selectOption('auto');
  await expect(label).toHaveText(/^CPU \(.*\) \(auto: SwiftShader is a software GPU\)$/);
  await expect(label).toHaveAttribute(
    'title',
    'auto: the only WebGPU adapter is SwiftShader (a software renderer, slower than the CPU path); choose WebGPU in the backend menu to use it anyway',
  );
  await page.locator('.header').screenshot({ path: 'e2e/screenshots/04a-header-auto.png' });

  const rows = page.locator('[data-testid=result-row][data-dataset=demo]');
  await expect(rows).toHaveCount(2);
  for (const r of ['bm25', 'glove']) {
    const cell = page.locator(`[data-testid=result-row][data-retriever=${r}] [data-testid="cell-ndcg@10"]`);
    await expect(cell).toHaveText(NUM);
    expect(Number(await cell.innerText())).toBeGreaterThan(0);
  }
  await shot(page, '04-results');

  // drill-down of the BM25 run: the worst query first; find one that misses a relevant doc
  await page.locator('[data-testid=result-row][data-retriever=bm25]').click();
  const queries = page.getByTestId('query-row');
  await expect(queries.first()).toBeVisible();
  const nQueries = await queries.count();
  expect(nQueries).toBeGreaterThan(3);
  let withMissed = false;
  for (let i = 0; i < nQueries && !withMissed; i++) {
    await queries.nth(i).click();
    const drill = page.getByTestId('drilldown');
    await expect(drill).toBeVisible();
    await expect(page.getByTestId('drill-query-text')).not.toBeEmpty();
    await expect(drill.getByTestId('drill-hit')).toHaveCount(10);
    await expect(drill.getByTestId('drill-top').getByTestId('grade-mark')).toHaveCount(10);
    withMissed = (await drill.getByTestId('drill-miss').count()) > 0;
  }
  expect(withMissed).toBe(true);
  const miss = page.getByTestId('drill-miss').first();
  expect(Number(await miss.getByTestId('grade-mark').getAttribute('data-grade'))).toBeGreaterThan(0);
  await shot(page, '05-drilldown');

  // a reload shows everything again, read back from IndexedDB
  await page.reload();
  await expect(page.getByTestId('app')).toHaveAttribute('data-ready', 'true');
  await expect(page.getByTestId('evaluate-panel')).toBeVisible();
  await expect(page.locator('[data-testid=result-row][data-dataset=demo]')).toHaveCount(2);
  await expect(
    page.locator('[data-testid=result-row][data-retriever=glove] [data-testid="cell-ndcg@10"]'),
  ).toHaveText(NUM);
  await shot(page, '06-reloaded');

  // offline: the service worker serves the shell and the engine worker; BM25 still runs
  await page.evaluate(() => navigator.serviceWorker.ready.then(() => undefined));
  await context.setOffline(true);
  await page.reload();
  await expect(page.getByTestId('app')).toHaveAttribute('data-ready', 'true');
  await expect(page.locator('[data-testid=result-row][data-dataset=demo]')).toHaveCount(2);
  await runEval(page, 'bm25');
  await shot(page, '07-offline');
  await context.setOffline(false);

  expect(errors).toEqual([]);
});

test('a malformed file is reported with its file and line, and nothing is stored', async ({ page }) => {
  await openApp(page);
  await page.getByTestId('tab-data').click();
  const before = await page.getByTestId('dataset-row').count();
  await page.getByTestId('import-name').fill('broken');
  await page.getByTestId('import-files').setInputFiles([
    {
      name: 'corpus.jsonl',
      mimeType: 'application/json',
      buffer: Buffer.from('{"_id": "d1", "title": "", "text": "a doc"}\n'),
    },
    {
      name: 'queries.jsonl',
      mimeType: 'application/json',
      buffer: Buffer.from('{"_id": "q1", "text": "a query"}\n{"_id": "q2", "text": \n'),
    },
    {
      name: 'test.tsv',
      mimeType: 'text/tab-separated-values',
      buffer: Buffer.from('query-id\tcorpus-id\tscore\nq1\td1\t1\n'),
    },
  ]);
  const err = page.getByTestId('error');
  await expect(err).toBeVisible();
  await expect(err.getByTestId('error-where')).toHaveText('queries.jsonl:2');
  await shot(page, '08-import-error');
  await expect(page.getByTestId('dataset-row')).toHaveCount(before);
  await err.getByTestId('error-dismiss').click();
  await expect(page.getByTestId('error')).toHaveCount(0);
});

// Real data: ../shared/datasets/med imported as a folder, as a user would pick it.
const MED = new URL('../../shared/datasets/med', import.meta.url).pathname;

test('a real BEIR folder (MED) imports and BM25 scores it as the CLI does, with settable k1/b', async ({
  page,
}) => {
  await openApp(page);
  await page.getByTestId('tab-data').click();
  await page.getByTestId('import-name').fill('med');
  await page.getByTestId('import-folder').setInputFiles(MED);
  const row = page.locator('[data-testid=dataset-row][data-name=med]');
  await expect(row).toBeVisible({ timeout: 60_000 });
  await expect(row.getByTestId('dataset-docs')).toHaveText('1,033');
  await row.getByTestId('evaluate-dataset').click();
  await page.getByTestId('eval-retriever').selectOption('bm25');
  await page.getByTestId('run-eval').click();
  const cell = (label: string) =>
    page.locator(
      `[data-testid=result-row][data-dataset=med][data-retriever="${label}"] [data-testid="cell-ndcg@10"]`,
    );
  await expect(cell('bm25')).toHaveText(NUM, { timeout: 60_000 });
  // `npm run stm -- eval --dataset ../shared/datasets/med --retriever bm25` prints ndcg@10 0.7070
  expect(Number(await cell('bm25').innerText())).toBeCloseTo(0.707, 3);

  await page.getByTestId('bm25-k1').fill('0.9');
  await page.getByTestId('bm25-b').fill('0.4');
  await page.getByTestId('run-eval').click();
  await expect(cell('bm25 k1=0.9 b=0.4')).toHaveText(NUM, { timeout: 60_000 });
  expect(Number(await cell('bm25 k1=0.9 b=0.4').innerText())).not.toBeCloseTo(0.707, 3);
  await shot(page, '09-med-bm25');
});

/** A three- or four-document collection as picked files (no folder, so the default name is "imported"). */
function tinyFiles(extraDoc = '') {
  const docs = [
    { _id: 'd1', title: 'Lens', text: 'the crystalline lens of the eye in vertebrates' },
    { _id: 'd2', title: 'Lung', text: 'electron microscopy of lung tissue and bronchi' },
    { _id: 'd3', title: 'Heart', text: 'cardiac output measured during exercise' },
    ...(extraDoc ? [{ _id: 'd4', title: 'Extra', text: extraDoc }] : []),
  ];
  return [
    {
      name: 'corpus.jsonl',
      mimeType: 'application/json',
      buffer: Buffer.from(docs.map((d) => JSON.stringify(d)).join('\n') + '\n'),
    },
    {
      name: 'queries.jsonl',
      mimeType: 'application/json',
      buffer: Buffer.from(
        '{"_id": "q1", "text": "lens of the eye"}\n{"_id": "q2", "text": "lung microscopy"}\n',
      ),
    },
    {
      name: 'test.tsv',
      mimeType: 'text/tab-separated-values',
      buffer: Buffer.from('query-id\tcorpus-id\tscore\nq1\td1\t1\nq2\td2\t1\n'),
    },
  ];
}

test('a re-import never replaces a dataset silently, deleting a run asks first, storage persistence is shown', async ({
  page,
}) => {
  const errors = pageErrors(page);
  await openApp(page);
  await page.getByTestId('tab-data').click();
  // Chromium has a StorageManager: the studio asked for persistence and shows the answer
  await expect(page.getByTestId('storage-status')).toHaveText(
    /^Storage: (persistent|may be evicted by the browser)/,
  );
  expect(['true', 'false']).toContain(
    await page.getByTestId('storage-status').getAttribute('data-persistent'),
  );

  const row = (name: string) => page.locator(`[data-testid=dataset-row][data-name="${name}"]`);
  await page.getByTestId('import-files').setInputFiles(tinyFiles());
  await expect(row('imported').getByTestId('dataset-docs')).toHaveText('3');
  await row('imported').getByTestId('evaluate-dataset').click();
  await runEval(page, 'bm25');
  await expect(page.locator('[data-testid=result-row][data-dataset=imported]')).toHaveCount(1);

  // a second unnamed import of other files: a new name, the first and its run stay
  await page.getByTestId('tab-data').click();
  await page.getByTestId('import-files').setInputFiles(tinyFiles('a fourth document'));
  await expect(row('imported (2)').getByTestId('dataset-docs')).toHaveText('4');
  await expect(row('imported').getByTestId('dataset-docs')).toHaveText('3');
  await shot(page, '10-reimport-new-name');

  // importing under the taken name asks, saying what happens to its run; Cancel changes nothing
  const questions: string[] = [];
  await page.getByTestId('tab-data').click();
  await page.getByTestId('import-name').fill('imported');
  page.once('dialog', (d) => {
    questions.push(d.message());
    void d.dismiss();
  });
  await page.getByTestId('import-files').setInputFiles(tinyFiles('a fourth document'));
  await expect.poll(() => questions.length).toBe(1);
  expect(questions[0]).toContain(
    'replaces dataset "imported"; its 1 evaluation run and cached embeddings will be deleted',
  );
  await expect(page.getByTestId('job')).toHaveCount(0);
  await expect(row('imported').getByTestId('dataset-docs')).toHaveText('3');
  await expect(page.getByTestId('dataset-row')).toHaveCount(2);
  // OK replaces it, and its run goes as the question said
  page.once('dialog', (d) => {
    questions.push(d.message());
    void d.accept();
  });
  await page.getByTestId('import-files').setInputFiles(tinyFiles('a fourth document'));
  await expect.poll(() => questions.length).toBe(2);
  await expect(row('imported').getByTestId('dataset-docs')).toHaveText('4');
  await expect(page.getByTestId('dataset-row')).toHaveCount(2);
  await page.getByTestId('tab-evaluate').click();
  await expect(page.locator('[data-testid=result-row][data-dataset=imported]')).toHaveCount(0);

  // deleting a run asks, naming it; Cancel keeps it, OK deletes it
  await runEval(page, 'bm25');
  const runRow = page.locator('[data-testid=result-row][data-dataset=imported]');
  await expect(runRow).toHaveCount(1);
  page.once('dialog', (d) => {
    questions.push(d.message());
    void d.dismiss();
  });
  await runRow.getByTestId('delete-run').click();
  await expect.poll(() => questions.length).toBe(3);
  expect(questions[2]).toMatch(/^Delete the BM25 run on imported\/test /);
  await expect(runRow).toHaveCount(1);
  page.once('dialog', (d) => void d.accept());
  await runRow.getByTestId('delete-run').click();
  await expect(runRow).toHaveCount(0);
  await page.getByTestId('tab-data').click();
  await shot(page, '11-data-storage-status');
  expect(errors).toEqual([]);
});

test('a tab whose storage another tab deleted or upgraded reopens it, or asks for a reload', async ({
  page,
  context,
}) => {
  const errors = pageErrors(page);
  await openApp(page);
  const demo = await loadDemo(page);

  // another tab deletes the database: this tab's connections close (the deletion is not blocked)
  const other = await context.newPage();
  await other.goto('./');
  await expect(other.getByTestId('app')).toHaveAttribute('data-ready', 'true');
  const deleted = await other.evaluate(
    () =>
      new Promise<string>((resolve) => {
        const req = indexedDB.deleteDatabase('stm-studio');
        req.onsuccess = () => resolve('deleted');
        req.onerror = () => resolve(`error ${String(req.error)}`);
        req.onblocked = () => resolve('blocked');
      }),
  );
  expect(deleted).toBe('deleted');
  // ...and reopens it on the next use: loading the demo again works
  await page.getByTestId('load-demo').click();
  await expect(demo).toBeVisible();
  await expect(page.getByTestId('error')).toHaveCount(0);

  // a newer build upgrades the schema in the other tab: this tab lets it through, then asks for a reload
  const upgraded = await other.evaluate(
    () =>
      new Promise<string>((resolve) => {
        const req = indexedDB.open('stm-studio', 99);
        req.onupgradeneeded = () => req.result.createObjectStore('from-a-newer-build');
        req.onsuccess = () => {
          req.result.close();
          resolve(`version ${req.result.version}`);
        };
        req.onerror = () => resolve(`error ${String(req.error)}`);
        req.onblocked = () => resolve('blocked');
      }),
  );
  expect(upgraded).toBe('version 99');
  await other.close();
  await page.getByTestId('load-demo').click();
  const err = page.getByTestId('error');
  await expect(err).toBeVisible();
  await expect(err).toContainText('upgraded by a newer version of the studio open in another tab');
  await expect(err).toContainText('Reload this page');
  await shot(page, '12-storage-upgraded-elsewhere');
  expect(errors).toEqual([]);
});
