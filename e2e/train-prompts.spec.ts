import { expect, test } from '@playwright/test';
import { loadDemo, openApp, pageErrors, shot } from './app';

test('train with GP-2 query prompts: the form explains and checks the choice, the expert shows its policy (issue 11 item 3)', async ({
  page,
}) => {
  test.setTimeout(180_000);
  const errors = pageErrors(page);
  await openApp(page);
  await page.getByTestId('backend-pref').selectOption('cpu');
  await loadDemo(page);
  await page.getByTestId('tab-train').click();
  const form = page.getByTestId('train-form');
  await form.getByTestId('train-name').fill('glove gp2');
  await form.getByTestId('train-base').selectOption('glove');
  await form.getByTestId('train-dataset').selectOption('demo');
  await form.getByTestId('train-steps').fill('4');
  await form.getByTestId('train-batch').fill('8');
  await form.getByTestId('train-warmup').fill('1');
  await form.getByTestId('train-dev-every').fill('0');
  const kind = form.getByTestId('train-prompts-kind');
  await expect(kind).toHaveValue('none');
  await expect(form.getByTestId('train-prompts-explain')).toContainText('Queries go in as they are');
  // own instructions: a line with braces is named, and the run cannot start
  await kind.selectOption('mine');
  await form.getByTestId('train-prompts-text').fill('# mine\nFind the answer\nFind {it}');
  await expect(form.getByTestId('train-prompts-error')).toHaveText(
    'your instructions:3: an instruction may not contain { or }',
  );
  await expect(form.getByTestId('train-start')).toBeDisabled();
  await kind.selectOption('gp');
  await form.getByTestId('train-prompts-n').fill('2');
  await expect(form.getByTestId('train-prompts-error')).toHaveCount(0);
  await expect(form.getByTestId('train-prompts-explain')).toContainText('GP-n');
  await expect(form.getByTestId('train-prompts-list').locator('li')).toHaveText([
    'Given a query, retrieve relevant passages',
    'Given a question, retrieve passages that answer the question',
  ]);
  await shot(page, '90-train-prompts-form');
  await form.getByTestId('train-start').click();
  const expert = page.locator('[data-testid=expert-row][data-name="glove gp2"]');
  await expect(expert).toBeVisible({ timeout: 120_000 });
  await expect(expert.getByTestId('expert-prompts')).toHaveText('GP-2');
  await expect(expert.getByTestId('expert-prompts')).toHaveAttribute(
    'title',
    'Given a query, retrieve relevant passages\nGiven a question, retrieve passages that answer the question',
  );
  await shot(page, '91-expert-prompts');
  expect(errors).toEqual([]);
});
