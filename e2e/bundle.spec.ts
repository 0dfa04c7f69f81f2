import { readFileSync } from 'node:fs';
import { expect, test, type Page } from '@playwright/test';
import { loadDemo, NUM, openApp, pageErrors, shot } from './app';

/** A copy of a bundle file with one byte flipped inside part `part` (found through its manifest). */
function damaged(file: Buffer, part: string): Buffer {
  const len = file.readUInt32LE(8);
  const manifest = JSON.parse(file.subarray(44, 44 + len).toString('utf8')) as {
    parts: { name: string; offset: number; bytes: number }[];
  };
  const p = manifest.parts.find((x) => x.name === part);
  if (!p || p.bytes === 0) throw new Error(`the bundle has no ${part} records`);
  const out = Buffer.from(file);
  out[44 + len + p.offset + Math.floor(p.bytes / 2)] ^= 0x20;
  return out;
}

async function trainExpert(page: Page, name: string) {
  await page.getByTestId('tab-train').click();
  const form = page.getByTestId('train-form');
  await form.getByTestId('train-name').fill(name);
  await form.getByTestId('train-base').selectOption('glove');
  await form.getByTestId('train-method').selectOption('adapter');
  await form.getByTestId('train-dataset').selectOption('demo');
  await form.getByTestId('train-split').selectOption('test');
  await form.getByTestId('train-mining').fill('0');
  await form.getByTestId('train-steps').fill('4');
  await form.getByTestId('train-batch').fill('8');
  await form.getByTestId('train-warmup').fill('1');
  await form.getByTestId('train-hardneg').fill('0');
  await form.getByTestId('train-dev-dataset').selectOption('');
  await form.getByTestId('train-start').click();
  await expect(page.locator(`[data-testid=expert-row][data-name="${name}"]`)).toHaveCount(1, {
    timeout: 60_000,
  });
}

test('project bundle: export a studio, import it into a fresh browser profile; a damaged bundle is refused naming the part', async ({
  page,
  browser,
}) => {
  test.setTimeout(120_000);
  const errors = pageErrors(page);
  await openApp(page);
  await page.getByTestId('backend-pref').selectOption('cpu');
  const demo = await loadDemo(page);
  await demo.getByTestId('evaluate-dataset').click();
  await page.getByTestId('eval-retriever').selectOption('bm25');
  await page.getByTestId('run-eval').click();
  const bm25 = page.locator('[data-testid=result-row][data-retriever=bm25] [data-testid="cell-ndcg@10"]');
  await expect(bm25).toHaveText(NUM);
  const figure = await bm25.innerText();
  await trainExpert(page, 'bundled expert');

  await page.getByTestId('tab-data').click();
  const [dl] = await Promise.all([page.waitForEvent('download'), page.getByTestId('export-project').click()]);
  expect(dl.suggestedFilename()).toMatch(/^stm-project-\d{4}-\d\d-\d\d-\d{4}\.stmbundle$/);
  const path = test.info().outputPath('project.stmbundle');
  await dl.saveAs(path);
  const outcome = page.getByTestId('bundle-outcome');
  await expect(outcome).toHaveAttribute('data-kind', 'exported');
  await expect(outcome.locator('[data-part=datasets]')).toHaveText('1 dataset');
  await expect(outcome.locator('[data-part=runs]')).toHaveText('1 evaluation run');
  await expect(outcome.locator('[data-part=experts]')).toHaveText('1 expert or merge');
  const file = readFileSync(path);

  // a fresh browser profile: empty IndexedDB
  const fresh = await browser.newContext();
  const other = await fresh.newPage();
  const otherErrors = pageErrors(other);
  await openApp(other);
  await other.getByTestId('tab-data').click();
  await expect(other.getByTestId('no-datasets')).toBeVisible();
  const input = other.getByTestId('import-project');
  await input.setInputFiles({
    name: 'damaged.stmbundle',
    mimeType: 'application/octet-stream',
    buffer: damaged(file, 'experts'),
  });
  const result = other.getByTestId('bundle-outcome');
  await expect(result).toHaveAttribute('data-kind', 'refused');
  await expect(result).toContainText('bundle part experts: checksum mismatch. Nothing was imported.');
  await other.getByTestId('project-bundle').screenshot({ path: 'e2e/screenshots/71-bundle-refused.png' });
  await expect(other.getByTestId('no-datasets')).toBeVisible();
  const truncated = file.subarray(0, file.length - 100);
  await input.setInputFiles({
    name: 'cut.stmbundle',
    mimeType: 'application/octet-stream',
    buffer: truncated,
  });
  await expect(result).toContainText(/bundle part \w+: missing or truncated/);

  await input.setInputFiles(path);
  await expect(result).toHaveAttribute('data-kind', 'imported');
  await expect(result.locator('[data-part=datasets]')).toHaveText('1 dataset');
  await expect(result.locator('[data-part=experts]')).toHaveText('1 expert or merge');
  await expect(other.locator('[data-testid=dataset-row][data-name=demo]')).toBeVisible();
  await other.getByTestId('project-bundle').screenshot({ path: 'e2e/screenshots/70-bundle-imported.png' });
  await shot(other, '72-bundle-data-tab');

  // a second import of the same file duplicates nothing
  await input.setInputFiles(path);
  await expect(result.locator('[data-part=runs]')).toHaveText(
    '1 evaluation run (1 replaced the stored copy with the same id)',
  );
  await other.getByTestId('tab-evaluate').click();
  const rows = other.locator('[data-testid=result-row][data-dataset=demo]');
  await expect(rows).toHaveCount(1);
  await expect(
    other.locator('[data-testid=result-row][data-retriever=bm25] [data-testid="cell-ndcg@10"]'),
  ).toHaveText(figure);
  await other.getByTestId('tab-train').click();
  await expect(other.locator('[data-testid=expert-row][data-name="bundled expert"]')).toHaveCount(1);
  await fresh.close();
  expect(errors).toEqual([]);
  expect(otherErrors).toEqual([]);
});
