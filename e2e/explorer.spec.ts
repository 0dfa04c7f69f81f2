import { expect, test } from '@playwright/test';
import { loadDemo, openApp, pageErrors, shot } from './app';

/** issue 12 item 5: the Explorer maps the demo's queries and documents under GloVe, then under an adapter
 * expert trained over it: the same points glide to their new places, and back. */
test('explorer: a PCA map of the demo under the base and an expert — the same points glide between them', async ({
  page,
}) => {
  const errors = pageErrors(page);
  await openApp(page);
  await loadDemo(page);
  // a small adapter expert over GloVe (CPU: 'auto' prefers it to a software GPU)
  await page.getByTestId('tab-train').click();
  const form = page.getByTestId('train-form');
  await form.getByTestId('train-name').fill('demo expert');
  await form.getByTestId('train-base').selectOption('glove');
  await form.getByTestId('train-method').selectOption('adapter');
  await form.getByTestId('train-dataset').selectOption('demo');
  await form.getByTestId('train-split').selectOption('test');
  await form.getByTestId('train-mining').fill('0');
  await form.getByTestId('train-steps').fill('20');
  await form.getByTestId('train-batch').fill('16');
  await form.getByTestId('train-warmup').fill('1');
  await form.getByTestId('train-lr').fill('0.05');
  await form.getByTestId('train-hardneg').fill('0');
  await form.getByTestId('train-dev-dataset').selectOption('');
  await form.getByTestId('train-start').click();
  const expert = page.locator('[data-testid=expert-row][data-name="demo expert"]');
  await expect(expert).toHaveCount(1, { timeout: 60_000 });
  const expertId = await expert.getAttribute('data-id');

  await page.getByTestId('tab-evaluate').click();
  const card = page.getByTestId('explorer-card');
  await card.getByTestId('explorer-model').selectOption('glove');
  await card.getByTestId('explorer-show').click();
  const canvas = card.getByTestId('explorer-canvas');
  await expect(canvas).toHaveAttribute('data-view', 'demo|test|glove', { timeout: 60_000 });
  await expect(canvas).toHaveAttribute('data-animating', '0');
  const points = Number(await canvas.getAttribute('data-points'));
  expect(points).toBe(240 + 48); // every document and judged query of the demo
  await expect(card.getByTestId('explorer-summary')).toContainText(
    /show \d+\.\d % and \d+\.\d % of the spread/,
  );
  // the selected query's top 10 are listed with marks; another query lists others
  const top = card.getByTestId('explorer-top');
  await expect(top.locator('li')).toHaveCount(10);
  const first = await top.innerText();
  const queries = card.getByTestId('explorer-query').locator('option');
  await card.getByTestId('explorer-query').selectOption(await queries.nth(3).getAttribute('value'));
  await expect(top).not.toHaveText(first);
  // hovering a point names it
  const box = (await canvas.boundingBox())!;
  for (let i = 0; i < 60 && !(await card.getByTestId('explorer-tip').isVisible()); i++)
    await page.mouse.move(box.x + box.width * (0.2 + 0.01 * i), box.y + box.height * (0.3 + 0.007 * i));
  await expect(card.getByTestId('explorer-tip')).toBeVisible();
  await page.mouse.move(0, 0);

  // switching to the expert (a map is on screen, so choosing the model shows it) glides the same points
  await card.getByTestId('explorer-model').selectOption(`expert:${expertId}`);
  await expect(canvas).toHaveAttribute('data-view', `demo|test|expert:${expertId}`, { timeout: 60_000 });
  await expect(canvas).toHaveAttribute('data-points', String(points));
  await expect(canvas).toHaveAttribute('data-animating', '0');
  expect(Number(await canvas.getAttribute('data-moved'))).toBeGreaterThan(1); // pixels, mean over the points
  expect(Number(await canvas.getAttribute('data-frames'))).toBeGreaterThan(5); // drawn frame by frame
  await shot(page, 'explorer');
  // back to the base: the stored view (no new job) glides back
  await card.getByTestId('explorer-model').selectOption('glove');
  await expect(canvas).toHaveAttribute('data-view', 'demo|test|glove');
  await expect(canvas).toHaveAttribute('data-animating', '0');
  expect(errors).toEqual([]);
});
