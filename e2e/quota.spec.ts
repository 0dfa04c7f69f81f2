import { join } from 'node:path';
import { expect, test } from '@playwright/test';
import { openApp, pageErrors, shot, TINY } from './app';

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

/** Writes 32 KB into a scratch IndexedDB database (not the studio's): "ok" or the error's name. */
function probeWrite(): Promise<string> {
  return new Promise((resolve) => {
    const open = indexedDB.open('quota-probe', 1);
    open.onupgradeneeded = () => open.result.createObjectStore('probe');
    open.onerror = () => resolve(open.error?.name ?? 'open failed');
    open.onsuccess = () => {
      const db = open.result;
      const tx = db.transaction('probe', 'readwrite');
      tx.objectStore('probe').put(new Float32Array(8192), Math.random());
      tx.oncomplete = () => (db.close(), resolve('ok'));
      tx.onabort = () => (db.close(), resolve(tx.error?.name ?? 'aborted'));
    };
  });
}

test('a full disk while caching embeddings: the evaluation goes on without the cache and a warning says so', async ({
  page,
  context,
  baseURL,
}) => {
  const errors = pageErrors(page);
  await openApp(page);
  // tiny-bert (32-d): a corpus chunk's vectors (256 x 32 floats) stay under the size above which Chromium
  // stores an IndexedDB value as a blob file, so the quota applies to each chunk's write
  await page.getByTestId('tab-models').click();
  await page.getByTestId('model-folder').setInputFiles(join(TINY, 'tiny-bert'));
  await page.getByTestId('engine-choice').getByTestId('engine-confirm').click();
  await expect(page.locator('[data-testid=model-row][data-id=tiny-bert]')).toBeVisible({ timeout: 60_000 });

  await page.getByTestId('tab-data').click();
  await page.getByTestId('import-name').fill('large');
  await page.getByTestId('import-files').setInputFiles(generated(3000));
  const large = page.locator('[data-testid=dataset-row][data-name=large]');
  await expect(large).toBeVisible({ timeout: 60_000 });
  await large.getByTestId('evaluate-dataset').click();
  await page.getByTestId('eval-retriever').selectOption('tiny-bert');

  // the origin's quota shrinks below what is stored: no corpus chunk's vectors fit
  const origin = new URL(baseURL!).origin;
  const cdp = await context.newCDPSession(page);
  const usage = await page.evaluate(async () => (await navigator.storage.estimate()).usage ?? 0);
  await cdp.send('Storage.overrideQuotaForOrigin', { origin, quotaSize: Math.floor(usage / 2) });
  // the override reaches IndexedDB's writes a while later (seconds, unpredictably): start the evaluation
  // only once a probe write into a scratch database is refused, or the whole corpus may be cached first
  await expect
    .poll(() => page.evaluate(probeWrite), { timeout: 60_000, intervals: [250] })
    .toBe('QuotaExceededError');
  await page.getByTestId('run-eval').click();
  const warning = page.getByTestId('warning');
  await expect(warning).toBeVisible({ timeout: 120_000 });
  await expect(warning).toContainText(
    'Browser storage is full: embeddings of tiny-bert on large are no longer cached',
  );
  // space comes back before the run is saved (the run itself is not optional: it needs space)
  await cdp.send('Storage.overrideQuotaForOrigin', { origin });
  await expect(page.locator('[data-testid=result-row][data-dataset=large]')).toHaveCount(1, {
    timeout: 240_000,
  });
  await expect(page.getByTestId('error')).toHaveCount(0);
  await shot(page, '13-cache-quota-warning');
  expect(errors).toEqual([]);
});
