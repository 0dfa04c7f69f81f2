/** Issue 8 items 3 and 4 in the browser: a warning under a result of a split without relevant judgements,
 * and an overflowing model's evaluation ending in an error naming the model and layer. */
import { copyFileSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test } from '@playwright/test';
import { loadDemo, openApp, shot, TINY } from './app';
import { tinyBertWeights } from '../scripts/onnx/tiny-bert';
import { encodeSafetensors } from '../scripts/onnx/weights';

test.describe.configure({ mode: 'serial' });

test('a split whose judgements are all 0 evaluates with a warning under its result', async ({ page }) => {
  await openApp(page);
  await page.getByTestId('tab-data').click();
  await page.getByTestId('import-name').fill('zero-judged');
  const jsonl = (rows: object[]) => Buffer.from(rows.map((r) => JSON.stringify(r)).join('\n') + '\n');
  await page.getByTestId('import-files').setInputFiles([
    { name: 'corpus.jsonl', mimeType: 'application/json', buffer: jsonl([{ _id: 'd1', text: 'heart attack signs' }, { _id: 'd2', text: 'kidney stones' }]) },
    { name: 'queries.jsonl', mimeType: 'application/json', buffer: jsonl([{ _id: 'q1', text: 'heart attack' }]) },
    { name: 'test.tsv', mimeType: 'text/tab-separated-values', buffer: Buffer.from('query-id\tcorpus-id\tscore\nq1\td1\t0\n') },
  ]); // prettier-ignore
  await expect(page.locator('[data-testid=dataset-row][data-name=zero-judged]')).toBeVisible();
  await page.getByTestId('tab-evaluate').click();
  await page.getByTestId('eval-dataset').selectOption('zero-judged');
  await page.getByTestId('eval-retriever').selectOption('bm25');
  await page.getByTestId('run-eval').click();
  const warning = page.locator('[data-testid=result-warning]');
  await expect(warning).toBeVisible({ timeout: 60_000 });
  await expect(warning).toContainText('has no relevant judgement: its 1 judged query has grades ≤ 0');
  await shot(page, '30-zero-judged-warning');
});

test('a model whose weights overflow ends its evaluation with an error naming the model and layer', async ({
  page,
}) => {
  const dir = join(mkdtempSync(join(tmpdir(), 'stm-e2e-overflow-')), 'tiny-bert-overflow');
  mkdirSync(dir);
  for (const f of ['config.json', 'tokenizer.json', 'tokenizer_config.json'])
    copyFileSync(join(TINY, 'tiny-bert', f), join(dir, f));
  const ws = tinyBertWeights();
  const t = ws.map.get('encoder.layer.0.intermediate.dense.weight')!;
  t.data.fill(3e38, 0, t.shape[1]);
  writeFileSync(join(dir, 'model.safetensors'), encodeSafetensors(ws.map));

  await openApp(page);
  await loadDemo(page);
  await page.getByTestId('tab-models').click();
  await page.getByTestId('model-folder').setInputFiles(dir);
  const row = page.locator('[data-testid=model-row][data-id=tiny-bert-overflow]');
  await expect(row).toBeVisible({ timeout: 60_000 });
  await page.getByTestId('tab-evaluate').click();
  await page.getByTestId('eval-dataset').selectOption('demo');
  await page.getByTestId('eval-retriever').selectOption('tiny-bert-overflow');
  await page.getByTestId('eval-backend').selectOption('cpu');
  await page.getByTestId('run-eval').click();
  const err = page.getByTestId('error');
  await expect(err).toBeVisible({ timeout: 120_000 });
  await expect(err).toContainText(
    'model "tiny-bert-overflow" gives a non-finite (NaN or infinite) embedding',
  );
  await expect(err).toContainText('encoder.layer.0.intermediate.dense');
  await shot(page, '31-overflow-error');
});
