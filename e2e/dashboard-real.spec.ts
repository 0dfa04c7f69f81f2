import { expect, test, type Page } from '@playwright/test';
import { openApp, pageErrors, shot } from './app';

/**
 * The dashboard on the real sets (issue 12's "done means"): med, cran and medquad imported from
 * ../shared/datasets, BM25, GloVe (the fast dense base), the BM25 + GloVe hybrid, two adapter experts trained
 * in the browser on medquad's dev split, and their merge, all evaluated on the three test splits; then a
 * significance comparison and a screenshot. It takes minutes, so CI skips it: `STM_E2E_REAL=1 npx playwright
 * test e2e/dashboard-real.spec.ts`.
 */
const SETS = ['med', 'cran', 'medquad'];
const dir = (name: string) => new URL(`../../shared/datasets/${name}`, import.meta.url).pathname;

async function trainExpert(page: Page, name: string, lr: string, symmetric: boolean): Promise<string> {
  await page.getByTestId('tab-train').click();
  const form = page.getByTestId('train-form');
  await form.getByTestId('train-name').fill(name);
  await form.getByTestId('train-base').selectOption('glove');
  await form.getByTestId('train-method').selectOption('adapter');
  await form.getByTestId('train-dataset').selectOption('medquad');
  await form.getByTestId('train-split').selectOption('dev');
  await form.getByTestId('train-mining').fill('0');
  await form.getByTestId('train-steps').fill('150');
  await form.getByTestId('train-batch').fill('32');
  await form.getByTestId('train-warmup').fill('10');
  await form.getByTestId('train-lr').fill(lr);
  await form.getByTestId('train-hardneg').fill('0');
  if (symmetric) await form.getByTestId('train-symmetric').check();
  else await form.getByTestId('train-symmetric').uncheck();
  await form.getByTestId('train-dev-dataset').selectOption('');
  await form.getByTestId('train-start').click();
  const row = page.locator(`[data-testid=expert-row][data-name="${name}"]`);
  await expect(row).toHaveCount(1, { timeout: 600_000 });
  return `expert:${await row.getAttribute('data-id')}`;
}

async function evaluate(page: Page, dataset: string, retriever: string, alpha?: string): Promise<void> {
  await page.getByTestId('tab-evaluate').click();
  await page.getByTestId('eval-dataset').selectOption(dataset);
  await page.getByTestId('eval-split').selectOption('test');
  if (alpha !== undefined) {
    await page.getByTestId('eval-retriever').selectOption(`hybrid:rrf:${retriever}`);
    await page.getByTestId('hybrid-fusion').selectOption('wsum');
    await page.getByTestId('hybrid-alpha').fill(alpha);
    retriever = `hybrid:wsum@${alpha}:${retriever}`;
    await expect(page.getByTestId('eval-retriever')).toHaveValue(retriever);
  } else await page.getByTestId('eval-retriever').selectOption(retriever);
  const log = page.locator(
    `[data-testid=result-row][data-dataset="${dataset}"][data-retriever="${retriever}"]`,
  );
  const before = await log.count();
  await page.getByTestId('run-eval').click();
  await expect(log).toHaveCount(before + 1, { timeout: 900_000 });
  await expect(page.getByTestId('job')).toHaveCount(0);
}

test('the dashboard on med, cran and medquad: BM25, GloVe, hybrid, two experts and their merge', async ({
  page,
}) => {
  test.skip(!process.env.STM_E2E_REAL, 'minutes of work on real sets: STM_E2E_REAL=1 runs it');
  test.setTimeout(3_600_000);
  const errors = pageErrors(page);
  await openApp(page);
  await page.getByTestId('backend-pref').selectOption('cpu');
  await page.getByTestId('tab-data').click();
  for (const name of SETS) {
    await page.getByTestId('import-name').fill(name);
    await page.getByTestId('import-folder').setInputFiles(dir(name));
    await expect(page.locator(`[data-testid=dataset-row][data-name=${name}]`)).toBeVisible({
      timeout: 120_000,
    });
  }
  const group = (name: string) =>
    page.locator(`[data-testid=dataset-row][data-name=${name}]`).getByTestId('dataset-group');
  await expect(group('med')).toHaveValue('medical');
  await expect(group('medquad')).toHaveValue('medical');
  await expect(group('cran')).toHaveValue('general');

  const a = await trainExpert(page, 'medquad adapter', '0.01', false);
  const b = await trainExpert(page, 'medquad adapter (symmetric)', '0.02', true);

  await page.getByTestId('tab-merge').click();
  const panel = page.getByTestId('merge-panel');
  await panel.getByTestId('merge-method').selectOption('task_arithmetic');
  for (const name of ['medquad adapter', 'medquad adapter (symmetric)'])
    await panel
      .locator(`[data-testid=merge-expert][data-name="${name}"]`)
      .getByTestId('merge-expert-pick')
      .check();
  await panel.getByTestId('merge-name').fill('medquad merge');
  await panel.getByTestId('merge-save').click();
  const saved = panel.locator('[data-testid=merge-saved][data-name="medquad merge"]');
  await expect(saved).toHaveCount(1, { timeout: 600_000 });
  await page.getByTestId('tab-train').click();
  const merge = `expert:${await page
    .locator('[data-testid=expert-row][data-name="medquad merge"]')
    .getAttribute('data-id')}`;

  for (const set of SETS) {
    await evaluate(page, set, 'bm25');
    await evaluate(page, set, 'glove');
    await evaluate(page, set, 'glove', '0.3');
    await evaluate(page, set, a);
    await evaluate(page, set, b);
    await evaluate(page, set, merge);
  }
  await expect(page.getByTestId('dash-row')).toHaveCount(6);
  await page.getByTestId('compare-a').selectOption('bm25');
  await page.getByTestId('compare-b').selectOption('hybrid:wsum@0.3:glove');
  await expect(page.getByTestId('significance-row')).toHaveCount(3);
  await shot(page, '90-dashboard-real');
  const table = await page.getByTestId('dash-table').innerText();
  const sig = await page.getByTestId('significance-row').allInnerTexts();
  console.log(`${table}\n---\n${sig.join('\n')}`);
  expect(errors).toEqual([]);
});
