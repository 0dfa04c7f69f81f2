import { expect, test, type Page } from '@playwright/test';
import { loadDemo, NUM, openApp, pageErrors, shot } from './app';

/** Data tab: the demo's 48 test queries dealt into dev (24) and test (24), confirming the replacement. */
async function splitDevTest(page: Page) {
  const row = page.locator('[data-testid=dataset-row][data-name=demo]');
  await row.getByTestId('split-dataset').click();
  const form = page.getByTestId('split-form');
  await form.getByTestId('split-into').fill('dev:0.5,test:0.5');
  page.once('dialog', (d) => void d.accept());
  await form.getByTestId('split-run').click();
  await expect(row.getByTestId('split-chip')).toHaveText(['test (24)', 'dev (24)']);
}

/** The Prompts form for USE-lite on demo/dev with one instruction of the user's. */
async function fillForm(page: Page, budget: number) {
  await page.getByTestId('tab-prompts').click();
  await page.getByTestId('prompts-model').selectOption('use-lite');
  await page.getByTestId('prompts-dataset').selectOption('demo');
  await expect(page.getByTestId('prompts-split')).toHaveValue('dev');
  // test splits are never offered
  await expect(page.getByTestId('prompts-split').locator('option')).toHaveText(['dev']);
  await page.getByTestId('prompts-task').selectOption('web-search');
  await page.getByTestId('prompts-candidates').fill('Retrieve the passage that answers this question');
  await page.getByTestId('prompts-mutate').uncheck();
  await page.getByTestId('prompts-seed').fill('3');
  await page.getByTestId('prompts-budget').fill(String(budget));
}

test('prompt search: cancel, a small search with its leaderboard, test once, the winner applied to USE-lite and shown in the Evaluate results', async ({
  page,
}) => {
  test.setTimeout(600_000);
  const errors = pageErrors(page);
  await openApp(page);
  await page.getByTestId('backend-pref').selectOption('cpu');
  await page.getByTestId('tab-prompts').click();
  await expect(page.getByTestId('prompts-empty')).toContainText('Load a dataset');
  await loadDemo(page);
  await page.getByTestId('tab-prompts').click();
  await expect(page.getByTestId('prompts-no-dev')).toContainText('No dataset has a dev split yet');
  await page.getByTestId('tab-data').click();
  await splitDevTest(page);

  // a search cancelled once it reports: the leaderboard so far stays, marked as cancelled, nothing stored
  await fillForm(page, 4000);
  await expect(page.getByTestId('prompts-explain')).toContainText('24 questions');
  // no LLM server is set up in the Synthesize tab: the panel says where to set one up
  await expect(page.getByTestId('prompts-llm-off')).toContainText('Synthesize tab');
  await shot(page, '70-prompts-form');
  await page.getByTestId('prompts-start').click();
  // cancelled while it embeds the corpus (nothing spent on queries yet): nothing is stored, the panel says so
  await expect(page.getByTestId('prompts-progress')).toContainText(/Round 1 of \d+ · 0 of 4000/, {
    timeout: 120_000,
  });
  await page.locator('[data-testid=job][data-kind=prompts]').getByTestId('job-cancel').click();
  await expect(page.getByTestId('prompts-cancelled')).toContainText(
    'Cancelled before any instruction was scored; nothing was saved.',
    { timeout: 120_000 },
  );
  await expect(page.getByTestId('job')).toHaveCount(0);
  await shot(page, '70-prompts-cancelled');
  await expect(page.getByTestId('prompts-result')).toHaveCount(0);

  // a small search to the end
  await fillForm(page, 300);
  await page.getByTestId('prompts-start').click();
  const result = page.getByTestId('prompts-result');
  // the live leaderboard while it runs (a screenshot when the search is slow enough to catch it)
  const live = page.getByTestId('prompts-live');
  await expect(live.or(result)).toBeVisible({ timeout: 300_000 });
  if (await live.isVisible()) await shot(page, '70-prompts-running');
  await expect(result).toBeVisible({ timeout: 300_000 });
  const rows = result.getByTestId('prompt-row');
  expect(await rows.count()).toBeGreaterThan(2);
  await expect(result.locator('[data-testid=prompt-row][data-origin=baseline]')).toContainText('baseline');
  await expect(result.locator('[data-testid=prompt-row][data-origin=user]')).toContainText(
    'Retrieve the passage that answers this question',
  );
  await expect(result.locator('[data-testid=prompt-row][data-best=true]')).toHaveCount(1);
  for (const c of await result.getByTestId('prompt-ndcg').allTextContents()) expect(c).toMatch(NUM);
  for (const c of await result.getByTestId('prompt-ci').allTextContents())
    expect(c).toMatch(/^\d\.\d{3}–\d\.\d{3}$/);
  const winner = (await result.getByTestId('prompts-winner').innerText()).trim();
  const none = winner.startsWith('no instruction');

  // the winner on test, once
  await result.getByTestId('prompts-score-test').click();
  await expect(result.getByTestId('prompts-test')).toContainText('On the test split (24 questions', {
    timeout: 120_000,
  });
  await expect(result.getByTestId('prompts-score-test')).toHaveCount(0);
  const testScore = (await result.getByTestId('prompts-test').locator('strong').innerText()).trim();
  await shot(page, '70-prompts-result');

  // applied to USE-lite: the Models tab's template editor shows it
  await result.getByTestId('prompts-use').click();
  await expect(result.getByTestId('prompts-applied')).toContainText(
    /now puts (this|no) instruction before every question/,
  );
  await page.getByTestId('tab-models').click();
  await page.locator('[data-testid=model-row][data-id=use-lite]').getByTestId('model-select').check();
  const editor = page.getByTestId('template-editor');
  if (none) await expect(editor).toHaveAttribute('data-custom', 'false');
  else {
    await expect(editor.getByTestId('template-query')).toHaveValue('{instruction}\nQuery: {text}');
    await expect(editor.getByTestId('template-instruction')).toHaveValue(winner);
    await shot(page, '70-prompts-template');
  }

  // evaluated under it on test: the result row names the prompt
  await page.getByTestId('tab-prompts').click();
  await page.getByTestId('prompts-evaluate').click();
  await expect(page.getByTestId('evaluate-panel')).toBeVisible();
  await expect(page.getByTestId('eval-retriever')).toHaveValue('use-lite');
  await page.getByTestId('eval-dataset').selectOption('demo');
  await page.getByTestId('eval-split').selectOption('test');
  await page.getByTestId('run-eval').click();
  const row = page.locator('[data-testid=result-row][data-retriever=use-lite]');
  await expect(row).toHaveCount(1, { timeout: 240_000 });
  await expect(row.getByTestId('run-prompt')).toHaveText(none ? 'no instruction' : `prompt: “${winner}”`);
  // the evaluation under the applied template gives the figure the search's test score gave
  await expect(row.getByTestId('cell-ndcg@10')).toHaveText(testScore);
  await shot(page, '70-prompts-evaluate');

  // a reload shows the last search with its test score
  await page.reload();
  await expect(page.getByTestId('app')).toHaveAttribute('data-ready', 'true');
  await page.getByTestId('tab-prompts').click();
  await expect(page.getByTestId('prompts-result')).toBeVisible();
  await expect(page.getByTestId('prompts-test')).toBeVisible();
  expect(errors).toEqual([]);
});
