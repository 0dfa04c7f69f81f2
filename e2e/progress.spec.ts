import { expect, test } from '@playwright/test';
import { loadDemo, openApp, shot } from './app';

test('a dense evaluation shows progress within the first 256-document chunk, and "Cancelling…" until it stops', async ({
  page,
}) => {
  await openApp(page);
  await loadDemo(page);
  await page.getByTestId('tab-evaluate').click();
  await page.getByTestId('eval-dataset').selectOption('demo');
  await page.getByTestId('eval-retriever').selectOption('use-lite');
  await page.getByTestId('run-eval').click();

  // the demo's 240 documents are one 256-document chunk: progress shows inside it
  const phase = page.getByTestId('job-phase');
  await expect(phase).toHaveText(/^Embedding the corpus (32|64|96|128|160|192|224) \/ 240$/, {
    timeout: 240_000,
  });
  await shot(page, '32-progress-in-chunk');

  const cancel = page.getByTestId('job-cancel');
  await cancel.click();
  await expect(cancel).toHaveText('Cancelling…');
  await expect(cancel).toBeDisabled();
  await expect(phase).toContainText('Cancelling…');
  await expect(page.getByTestId('job')).toHaveAttribute('data-cancelling', 'true');
  await shot(page, '33-cancelling');
  await expect(page.getByTestId('job')).toHaveCount(0, { timeout: 120_000 });
  await expect(page.locator('[data-testid=result-row][data-retriever=use-lite]')).toHaveCount(0);
  await expect(page.getByTestId('error')).toHaveCount(0);
});
