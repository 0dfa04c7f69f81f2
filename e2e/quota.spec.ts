import { expect, test, type Page } from '@playwright/test';

const shot = (page: Page, name: string) =>
  page.screenshot({ path: `e2e/screenshots/${name}.png`, fullPage: true });

/** A generated collection of `n` short documents (storage sizes, not retrieval quality, matter here). */
function generated(n: number) {
  const words = ['lung', 'heart', 'lens', 'cell', 'blood', 'nerve', 'bone', 'skin', 'liver', 'kidney'];
  const docs: string[] = [];
  for (let i = 0; i < n; i++) {
    const text = Array.from({ length: 12 }, (_, j) => words[(i * 7 + j * 3) % words.length]).join(' ');
    docs.push(JSON.stringify({ _id: `d${i}`, title: '', text: `${text} ${i}` }));
  }
  return [
    { name: 'corpus.jsonl', mimeType: 'application/json', buffer: Buffer.from(docs.join('\n') + '\n') },
    {
      name: 'queries.jsonl',
      mimeType: 'application/json',
      buffer: Buffer.from('{"_id": "q1", "text": "lung heart"}\n{"_id": "q2", "text": "nerve bone"}\n'),
    },
    {
      name: 'test.tsv',
      mimeType: 'text/tab-separated-values',
      buffer: Buffer.from('query-id\tcorpus-id\tscore\nq1\td0\t1\nq2\td1\t1\n'),
    },
  ];
}

test('a full disk while caching embeddings: the evaluation goes on without the cache and a warning says so', async ({
  page,
  context,
  baseURL,
}) => {
  const pageErrors: string[] = [];
  page.on('pageerror', (e) => pageErrors.push(e.message));
  await page.goto('./');
  await expect(page.getByTestId('app')).toHaveAttribute('data-ready', 'true');
  await page.getByTestId('tab-data').click();
  // a first GloVe run on a small collection: the model's files are fetched and cached before the quota shrinks
  await page.getByTestId('import-name').fill('small');
  await page.getByTestId('import-files').setInputFiles(generated(40));
  await page.locator('[data-testid=dataset-row][data-name=small]').getByTestId('evaluate-dataset').click();
  await page.getByTestId('eval-retriever').selectOption('glove');
  await page.getByTestId('run-eval').click();
  await expect(page.locator('[data-testid=result-row][data-dataset=small]')).toHaveCount(1, {
    timeout: 240_000,
  });

  await page.getByTestId('tab-data').click();
  await page.getByTestId('import-name').fill('large');
  await page.getByTestId('import-files').setInputFiles(generated(3000));
  await expect(page.locator('[data-testid=dataset-row][data-name=large]')).toBeVisible({ timeout: 60_000 });

  // the origin's quota shrinks below what is stored: the first corpus chunk's vectors do not fit
  const origin = new URL(baseURL!).origin;
  const cdp = await context.newCDPSession(page);
  const usage = await page.evaluate(async () => (await navigator.storage.estimate()).usage ?? 0);
  await cdp.send('Storage.overrideQuotaForOrigin', { origin, quotaSize: Math.floor(usage / 2) });
  await page.locator('[data-testid=dataset-row][data-name=large]').getByTestId('evaluate-dataset').click();
  await page.getByTestId('eval-retriever').selectOption('glove');
  await page.getByTestId('run-eval').click();
  const warning = page.getByTestId('warning');
  await expect(warning).toBeVisible({ timeout: 120_000 });
  await expect(warning).toContainText(
    'Browser storage is full: embeddings of glove on large are no longer cached',
  );
  // space comes back before the run is saved (the run itself is not optional: it needs space)
  await cdp.send('Storage.overrideQuotaForOrigin', { origin });
  await expect(page.locator('[data-testid=result-row][data-dataset=large]')).toHaveCount(1, {
    timeout: 240_000,
  });
  await expect(page.getByTestId('error')).toHaveCount(0);
  await shot(page, '13-cache-quota-warning');
  expect(pageErrors).toEqual([]);
});
