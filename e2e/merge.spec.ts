import { readFileSync } from 'node:fs';
import { expect, test, type Page } from '@playwright/test';
import { loadDemo, NUM, openApp, pageErrors, shot } from './app';

test.describe.configure({ mode: 'serial' });

/** Trains a small adapter expert over USE-lite on the demo from the Train tab and waits for it. */
async function trainExpert(page: Page, name: string, seed: number, lr: string) {
  await page.getByTestId('tab-train').click();
  const form = page.getByTestId('train-form');
  await form.getByTestId('train-name').fill(name);
  await form.getByTestId('train-base').selectOption('use-lite');
  await form.getByTestId('train-method').selectOption('adapter');
  await form.getByTestId('train-dataset').selectOption('demo');
  await form.getByTestId('train-split').selectOption('test');
  await form.getByTestId('train-mining').fill('0');
  await form.getByTestId('train-steps').fill('12');
  await form.getByTestId('train-batch').fill('16');
  await form.getByTestId('train-warmup').fill('1');
  await form.getByTestId('train-lr').fill(lr);
  await form.getByTestId('train-hardneg').fill('0');
  await form.getByTestId('train-seed').fill(String(seed));
  await form.getByTestId('train-dev-dataset').selectOption('');
  await form.getByTestId('train-start').click();
  await expect(page.locator(`[data-testid=expert-row][data-name="${name}"]`)).toHaveCount(1, {
    timeout: 240_000,
  });
}

/** The figure of the "demo/test" row once the panel has finished scoring. */
async function scored(page: Page): Promise<string> {
  await expect(page.getByTestId('merge-figures')).toHaveAttribute('data-status', 'done', {
    timeout: 240_000,
  });
  const cell = page.locator('[data-testid=merge-task][data-label="demo/test"]').getByTestId('merge-ndcg');
  await expect(cell).toHaveText(NUM);
  return (await cell.textContent()) as string;
}

test('merge two adapter experts live: sliders re-score, undo/redo, save, the saved merge and its recipe survive a reload, full evaluation', async ({
  page,
}) => {
  test.setTimeout(900_000);
  const errors = pageErrors(page);
  await openApp(page);
  await page.getByTestId('backend-pref').selectOption('cpu');
  await loadDemo(page);

  // nothing to merge yet: the panel says what to do
  await page.getByTestId('tab-merge').click();
  await expect(page.getByTestId('merge-empty')).toContainText('No experts yet. Train two in the Train tab');

  await trainExpert(page, 'expert one', 1, '0.02');
  await page.getByTestId('tab-merge').click();
  await expect(page.getByTestId('merge-one')).toContainText('a merge needs two');
  await trainExpert(page, 'expert two', 2, '0.01');

  await page.getByTestId('tab-merge').click();
  const panel = page.getByTestId('merge-panel');
  // the demo's test split is chosen by default; the demo is marked general (a user can mark it medical)
  await expect(panel.locator('[data-testid=merge-split][data-split=test]')).toBeChecked();
  // the demo has only a test split: the panel says tuning there is not a fair test
  await expect(panel.getByTestId('merge-test-warning')).toContainText('You are tuning on demo/test');
  await panel.getByTestId('merge-method').selectOption('task_arithmetic');
  const one = panel.locator('[data-testid=merge-expert][data-name="expert one"]');
  const two = panel.locator('[data-testid=merge-expert][data-name="expert two"]');
  await one.getByTestId('merge-expert-pick').check();
  await two.getByTestId('merge-expert-pick').check();
  // task arithmetic reads weights and lambda only: no density slider
  await expect(one.getByTestId('merge-weight')).toBeVisible();
  await expect(one.getByTestId('merge-density')).toHaveCount(0);
  await expect(panel.getByTestId('merge-lambda')).toBeVisible();
  const before = await scored(page);
  await expect(panel.getByTestId('merge-pool-label')).toHaveText(
    /^dev pool \(k=100, \d+ of 240 docs\), 48 queries$/,
  );
  const task = panel.locator('[data-testid=merge-task][data-label="demo/test"]');
  await expect(task.getByTestId('merge-dbase')).toHaveText(/^[+−±]\d\.\d{3}$/);
  await expect(task.getByTestId('merge-dbest')).toHaveText(/^[+−±]\d\.\d{3}$/);
  await expect(task.getByTestId('merge-best')).toHaveText(/^\d\.\d{3} expert (one|two)$/);
  // one task: no average row repeating it
  await expect(panel.getByTestId('merge-average')).toHaveCount(0);

  // move a slider: the merge is scored again and its figure changes
  await one.getByTestId('merge-weight').fill('2');
  await expect(one.getByTestId('merge-weight-num')).toHaveValue('2');
  await expect(page.getByTestId('merge-figures')).not.toHaveAttribute('data-status', 'done');
  const after = await scored(page);
  expect(after).not.toBe(before);
  await shot(page, '60-merge-panel');
  await page.screenshot({ path: 'test-results/merge-panel.png', fullPage: true });

  // Ctrl+Z takes the move back (and the figure with it); Ctrl+Shift+Z puts it back
  await page.locator('body').click({ position: { x: 5, y: 5 } });
  await page.keyboard.press('Control+z');
  await expect(one.getByTestId('merge-weight-num')).toHaveValue('0.5');
  expect(await scored(page)).toBe(before);
  await page.keyboard.press('Control+Shift+z');
  await expect(one.getByTestId('merge-weight-num')).toHaveValue('2');
  expect(await scored(page)).toBe(after);

  // a weight search: 3 random trials on the dev pool, a table of them, the best recipe put on the sliders
  const search = page.getByTestId('merge-search');
  await search.getByTestId('merge-search-strategy').selectOption('random');
  await search.getByTestId('merge-search-budget').fill('3');
  await search.getByTestId('merge-search-run').click();
  await expect(search.getByTestId('merge-search-summary')).toContainText('3 trials. Best #', {
    timeout: 120_000,
  });
  await expect(search.locator('[data-testid=merge-search-trials] tbody tr')).toHaveCount(3);
  await shot(page, '62-merge-search');
  await search.getByTestId('merge-search-use').click();
  await expect(one.getByTestId('merge-weight-num')).not.toHaveValue('2');
  await scored(page);
  await page.locator('body').click({ position: { x: 5, y: 5 } });
  await page.keyboard.press('Control+z'); // the search's recipe is one undo step
  await expect(one.getByTestId('merge-weight-num')).toHaveValue('2');
  expect(await scored(page)).toBe(after);

  // a merge of DARE shows its spread over seeds
  await panel.getByTestId('merge-method').selectOption('dare_linear');
  await expect(one.getByTestId('merge-density')).toBeVisible();
  await expect(panel.getByTestId('merge-seed')).toBeVisible();
  await scored(page);
  await expect(task.getByTestId('merge-spread')).toHaveText(/^\d\.\d{3} \(\d\.\d{3}–\d\.\d{3}\)$/);
  await page.keyboard.press('Control+z'); // back to task arithmetic
  await expect(panel.getByTestId('merge-method')).toHaveValue('task_arithmetic');
  expect(await scored(page)).toBe(after);

  // the recipe as mergekit YAML: downloaded, then read back after a slider move (one undo step)
  const [dl] = await Promise.all([
    page.waitForEvent('download'),
    panel.getByTestId('merge-export-yaml').click(),
  ]);
  expect(dl.suggestedFilename()).toBe('task_arithmetic-expert_one+expert_two.yml');
  const yamlPath = test.info().outputPath('recipe.yml');
  await dl.saveAs(yamlPath);
  const yaml = readFileSync(yamlPath, 'utf8');
  expect(yaml).toContain(
    'merge_method: task_arithmetic\nbase_model: use-lite\nmodels:\n  - model: expert one\n',
  );
  expect(yaml).toMatch(/ {2}- model: expert two\n {4}parameters:\n {6}weight: 0\.5\n/);
  await one.getByTestId('merge-weight').fill('1');
  await expect(one.getByTestId('merge-weight-num')).toHaveValue('1');
  await scored(page);
  const importer = panel.getByTestId('merge-import-yaml');
  // a recipe naming an unknown expert changes nothing and says where
  await importer.setInputFiles({
    name: 'bad.yml',
    mimeType: 'application/yaml',
    buffer: Buffer.from(yaml.replace('model: expert two', 'model: expert three')),
  });
  await expect(panel.getByTestId('merge-import-error')).toContainText(
    /bad\.yml:\d+: model "expert three" is not a stored expert/,
  );
  await expect(one.getByTestId('merge-weight-num')).toHaveValue('1');
  await importer.setInputFiles(yamlPath);
  await expect(panel.getByTestId('merge-import-note')).toContainText('put on the sliders');
  await expect(one.getByTestId('merge-weight-num')).toHaveValue('2');
  expect(await scored(page)).toBe(after);
  await shot(page, '63-merge-recipe-import');
  await page.locator('body').click({ position: { x: 5, y: 5 } });
  await page.keyboard.press('Control+z'); // the import is one undo step
  await expect(one.getByTestId('merge-weight-num')).toHaveValue('1');
  await page.keyboard.press('Control+Shift+z');
  await expect(one.getByTestId('merge-weight-num')).toHaveValue('2');
  expect(await scored(page)).toBe(after);

  await panel.getByTestId('merge-name').fill('one + two');
  await panel.getByTestId('merge-save').click();
  const saved = panel.locator('[data-testid=merge-saved][data-name="one + two"]');
  await expect(saved).toHaveCount(1, { timeout: 60_000 });
  await expect(saved.getByTestId('merge-recipe-method')).toHaveText('Task arithmetic');
  await expect(saved.getByTestId('merge-recipe-expert')).toHaveText([
    'expert one: weight 2',
    'expert two: weight 0.5',
  ]);

  await page.reload();
  await expect(page.getByTestId('app')).toHaveAttribute('data-ready', 'true');
  await page.getByTestId('tab-merge').click();
  const again = page.locator('[data-testid=merge-saved][data-name="one + two"]');
  await expect(again).toHaveCount(1);
  await expect(again.getByTestId('merge-recipe-method')).toHaveText('Task arithmetic');
  await expect(again.getByTestId('merge-recipe-expert')).toHaveText([
    'expert one: weight 2',
    'expert two: weight 0.5',
  ]);
  await expect(again.getByTestId('merge-recipe-options')).toHaveText('lambda 1');
  // its recipe goes back on the sliders, and scores what it scored before the reload
  await again.getByTestId('merge-load').click();
  await expect(
    page.locator('[data-testid=merge-expert][data-name="expert one"]').getByTestId('merge-weight-num'),
  ).toHaveValue('2');
  expect(await scored(page)).toBe(after);
  // the full split, one click away, labelled as such
  await again.getByTestId('merge-full-eval').click();
  await expect(again.getByTestId('merge-full-ndcg')).toHaveText(NUM, { timeout: 240_000 });
  await expect(again.getByTestId('merge-full')).toContainText('full split (240 docs)');
  await shot(page, '61-merge-saved');

  // it is listed with the experts, its source naming the recipe
  await page.getByTestId('tab-train').click();
  await expect(
    page.locator('[data-testid=expert-row][data-name="one + two"]').getByTestId('expert-source'),
  ).toContainText('merge: task_arithmetic · expert one 2 + expert two 0.5');
  expect(errors).toEqual([]);
});
