import { readFileSync } from 'node:fs';
import { expect, test, type Locator, type Page } from '@playwright/test';
import { loadDemo, NUM, openApp, pageErrors, shot } from './app';

test.describe.configure({ mode: 'serial' });

test('train an adapter expert (300 steps, checkpoint every 5) over USE-lite on the demo, reload mid-run, resume from the checkpoint, evaluate, export/import, compare', async ({
  page,
}) => {
  // 300 steps of USE-lite on the CPU plus the query split and a BM25 run for the leakage check
  test.setTimeout(480_000);
  const errors = pageErrors(page);
  await openApp(page);
  await page.getByTestId('backend-pref').selectOption('cpu');
  await loadDemo(page);
  await splitDemo(page);

  await page.getByTestId('tab-train').click();
  const form = page.getByTestId('train-form');
  // a dataset with a train split: the form starts on it; training on test is allowed with a warning
  await form.getByTestId('train-dataset').selectOption('demo');
  await expect(form.getByTestId('train-split')).toHaveValue('train');
  await expect(form.getByTestId('train-split-warning')).toHaveCount(0);
  await form.getByTestId('train-name').fill('demo adapter');
  await form.getByTestId('train-base').selectOption('use-lite');
  await form.getByTestId('train-method').selectOption('adapter');
  await form.getByTestId('train-dataset').selectOption('demo');
  await form.getByTestId('train-split').selectOption('test');
  await expect(form.getByTestId('train-split-warning')).toContainText(
    'This dataset has a train split ("train")',
  );
  await form.getByTestId('train-steps').fill('300');
  await form.getByTestId('train-batch').fill('16');
  await form.getByTestId('train-warmup').fill('3');
  await form.getByTestId('train-lr').fill('0.005');
  await form.getByTestId('train-ckpt-every').fill('5');
  await form.getByTestId('train-dev-every').fill('100');
  await form.getByTestId('train-dev-dataset').selectOption('demo');
  await form.getByTestId('train-dev-max').fill('20');
  await shot(page, '20-train-form');
  await form.getByTestId('train-start').click();

  // live: the step counter moves and the loss line is drawn; once step 6 shows, checkpoint 5 is stored
  const step = page.getByTestId('train-step');
  await expect(async () =>
    expect(Number(await step.getAttribute('data-step'))).toBeGreaterThanOrEqual(6),
  ).toPass({ timeout: 180_000 });
  await expect(page.getByTestId('plot-loss')).toBeVisible();
  await expect(page.locator('[data-testid=train-run-row][data-status=live]')).toHaveCount(1);
  await shot(page, '21-training-live');

  await page.reload();
  await expect(page.getByTestId('app')).toHaveAttribute('data-ready', 'true');
  await page.getByTestId('tab-train').click();
  const row = page.locator('[data-testid=train-run-row]');
  await expect(row).toHaveCount(1);
  await expect(row).toHaveAttribute('data-status', 'running');
  await expect(row.getByTestId('run-status')).toHaveText(/^interrupted at step \d+$/);
  const k = Number(await row.getAttribute('data-step'));
  expect(k).toBeGreaterThanOrEqual(5);
  expect(k % 5).toBe(0);
  expect(k).toBeLessThan(300);
  await shot(page, '22-interrupted');

  await row.getByTestId('run-resume').click();
  await expect(page.getByTestId('train-resumed-from')).toHaveText(`resumed from step ${k}`);
  // the plot starts from the checkpoint's history, and the counter continues from k (never from 0)
  expect(
    Number(await page.getByTestId('train-plot').first().getAttribute('data-points')),
  ).toBeGreaterThanOrEqual(k);
  const seen: number[] = [];
  await expect(async () => {
    seen.push(Number(await step.getAttribute('data-step')));
    expect(seen[seen.length - 1]).toBeGreaterThan(k);
  }).toPass({ timeout: 180_000 });
  expect(Math.min(...seen)).toBeGreaterThanOrEqual(k);
  await shot(page, '23-resumed');

  await expect(row).toHaveAttribute('data-status', 'done', { timeout: 240_000 });
  const expert = page.locator('[data-testid=expert-row][data-name="demo adapter"]');
  await expect(expert).toHaveCount(1);
  await expect(expert.getByTestId('expert-steps')).toHaveText('300');
  await expect(expert.getByTestId('expert-dev')).toHaveText(NUM);
  await row.click(); // the stored run's full history: one point per step, 1..300
  await expect(page.getByTestId('train-plot')).toHaveAttribute('data-points', '300');
  await shot(page, '24-expert');

  await expert.getByTestId('expert-evaluate').click();
  await expect(page.getByTestId('evaluate-panel')).toBeVisible();
  await page.getByTestId('eval-dataset').selectOption('demo');
  await page.getByTestId('run-eval').click();
  const expertRow = page.locator('[data-testid=result-row][data-retriever^="expert:"]');
  await expect(expertRow).toHaveCount(1, { timeout: 240_000 });
  await expect(expertRow.getByTestId('cell-ndcg@10')).toHaveText(NUM);
  await expect(expertRow).toContainText('demo adapter (expert)');
  await leakageMarked(page, expertRow);
  await shot(page, '25-expert-evaluated');

  await exportImportCompare(page);
  expect(errors).toEqual([]);
});

/** Data tab: the demo's 48 test queries split 60/20/20 (seed 42) into train/dev/held; a taken name needs a confirmation. */
async function splitDemo(page: Page) {
  const row = page.locator('[data-testid=dataset-row][data-name=demo]');
  await row.getByTestId('split-dataset').click();
  const form = page.getByTestId('split-form');
  await expect(form.getByTestId('split-from')).toHaveValue('test');
  await form.getByTestId('split-into').fill('train:0.6,dev:0.2,held:0.3');
  await expect(form.getByTestId('split-preview')).toContainText('sum to 1.1, not 1');
  await expect(form.getByTestId('split-run')).toBeDisabled();
  await form.getByTestId('split-into').fill('train:0.6,dev:0.2,test:0.2');
  await expect(form.getByTestId('split-preview')).toContainText(
    'replaces "test" (48 queries, 0 runs) after you confirm',
  );
  // declining the confirmation changes nothing
  page.once('dialog', (d) => {
    expect(d.message()).toContain('The runs on a replaced split are deleted');
    void d.dismiss();
  });
  await form.getByTestId('split-run').click();
  await expect(row.getByTestId('split-chip')).toHaveCount(1);
  await form.getByTestId('split-into').fill('train:0.6,dev:0.2,held:0.2');
  await expect(form.getByTestId('split-preview')).toHaveText('48 queries → train 29 · dev 10 · held 9');
  await form.getByTestId('split-seed').fill('42');
  await form.getByTestId('split-run').click();
  await expect(form.getByTestId('split-result')).toHaveText('Stored train (29), dev (10), held (9) in demo');
  await expect(row.getByTestId('split-chip')).toHaveText(['test (48)', 'train (29)', 'dev (10)', 'held (9)']);
  await shot(page, '19-split-queries');
}

/**
 * The expert trained on demo/test and evaluated there is marked "trained on 48 of these 48 queries", in the
 * table and above its query list, and BM25 on the same split holds every best cell.
 */
async function leakageMarked(page: Page, expertRow: Locator) {
  await expect(expertRow.getByTestId('leak-mark')).toHaveText('⚠ trained on 48 of these 48 queries');
  await page.getByTestId('eval-retriever').selectOption('bm25');
  await page.getByTestId('run-eval').click();
  const bm25 = page.locator('[data-testid=result-row][data-retriever=bm25]');
  await expect(bm25).toHaveCount(1, { timeout: 120_000 });
  await expect(bm25.getByTestId('leak-mark')).toHaveCount(0);
  await expect(expertRow.locator('td.best')).toHaveCount(0);
  await expect(bm25.locator('td.best')).toHaveCount(5);
  await expertRow.click();
  await expect(page.getByTestId('query-list').getByTestId('leak-mark')).toHaveText(
    '⚠ trained on 48 of these 48 queries',
  );
}

/** The expert exports as files, imports back as a second expert, and two experts compare side by side. */
async function exportImportCompare(page: Page) {
  await page.getByTestId('tab-train').click();
  const first = page.locator('[data-testid=expert-row][data-name="demo adapter"]');
  await expect(first).toHaveCount(1);
  const downloads: { name: string; path: string }[] = [];
  page.on('download', async (d) => downloads.push({ name: d.suggestedFilename(), path: await d.path() }));
  await first.getByTestId('expert-export').click();
  await expect.poll(() => downloads.length).toBe(2);
  expect(downloads.map((d) => d.name).sort()).toEqual([
    'demo_adapter-adapter.safetensors',
    'demo_adapter-expert.json',
  ]);

  const picked = downloads.map((d) => ({
    name: d.name,
    mimeType: 'application/octet-stream',
    buffer: readFileSync(d.path),
  }));
  // its own export is recognised: the question names it; Cancel adds nothing
  const questions: string[] = [];
  page.once('dialog', (d) => {
    questions.push(d.message());
    void d.dismiss();
  });
  await page.getByTestId('expert-import').setInputFiles(picked);
  await expect.poll(() => questions.length).toBe(1);
  expect(questions[0]).toContain('already imported as "demo adapter"');
  expect(questions[0]).toMatch(/Import as a copy\?$/);
  await expect(page.getByTestId('job')).toHaveCount(0);
  await expect(page.getByTestId('expert-row')).toHaveCount(1);
  // OK imports it as a copy, under a name that says so
  page.once('dialog', (d) => void d.accept());
  await page.getByTestId('expert-import').setInputFiles(picked);
  const second = page.locator('[data-testid=expert-row][data-name="demo adapter (copy)"]');
  await expect(second).toHaveCount(1);
  await expect(page.getByTestId('expert-row')).toHaveCount(2);
  await second.getByTestId('expert-rename').click();
  await second.getByTestId('expert-name-input').fill('imported copy');
  await second.getByTestId('expert-name-save').click();
  const copy = page.locator('[data-testid=expert-row][data-name="imported copy"]');
  await expect(copy).toHaveCount(1);
  await expect(copy.getByTestId('expert-steps')).toHaveText('300');

  await first.getByTestId('expert-compare').check();
  await copy.getByTestId('expert-compare').check();
  const table = page.getByTestId('expert-compare-table');
  await expect(table).toBeVisible();
  await expect(table.locator('thead th')).toHaveText(['', 'demo adapter', 'imported copy']);
  await expect(table.getByTestId('compare-eval').first()).toHaveText(/^\d\.\d{3} \(demo\/test\)$/);
  await shot(page, '26-experts-compare');

  // a broken weights file is reported with its name; nothing is added
  await page.getByTestId('expert-import').setInputFiles([
    {
      name: 'expert.json',
      mimeType: 'application/json',
      buffer: readFileSync(downloads.find((d) => d.name.endsWith('expert.json'))!.path),
    },
    {
      name: 'adapter.safetensors',
      mimeType: 'application/octet-stream',
      buffer: Buffer.from('not a safetensors file'),
    },
  ]);
  await expect(page.getByTestId('error')).toContainText('adapter.safetensors');
  await expect(page.getByTestId('expert-row')).toHaveCount(2);
  // deleting asks, naming the expert; Cancel keeps it, OK deletes it
  page.once('dialog', (d) => {
    questions.push(d.message());
    void d.dismiss();
  });
  await copy.getByTestId('expert-delete').click();
  await expect.poll(() => questions.length).toBe(2);
  expect(questions[1]).toMatch(/^Delete expert "imported copy" with its weights/);
  await expect(page.getByTestId('expert-row')).toHaveCount(2);
  page.once('dialog', (d) => void d.accept());
  await copy.getByTestId('expert-delete').click();
  await expect(page.getByTestId('expert-row')).toHaveCount(1);
}
