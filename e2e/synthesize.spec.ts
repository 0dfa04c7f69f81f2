import { readFileSync } from 'node:fs';
import { expect, test, type Page } from '@playwright/test';
import { loadDemo, openApp, pageErrors, shot } from './app';

test.describe.configure({ mode: 'serial' });

const item = (page: Page) => page.getByTestId('synth-item');
/** Takes the focus off any field, so the review keys apply. */
const blur = (page: Page) => page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());
async function expectItem(page: Page, position: number, status: string) {
  await expect(page.getByTestId('synth-position')).toHaveText(new RegExp(`^Item ${position} of \\d+$`));
  await expect(item(page)).toHaveAttribute('data-status', status);
}

test('Synthesize: write ICT queries for the demo, review them with the keyboard, reload and find every decision, train an expert on the accepted items', async ({
  page,
}) => {
  test.setTimeout(180_000);
  const errors = pageErrors(page);
  await openApp(page);
  await page.getByTestId('backend-pref').selectOption('cpu');
  await loadDemo(page);

  await page.getByTestId('tab-synthesize').click();
  await expect(page.getByTestId('tab-synthesize')).toHaveAttribute('aria-selected', 'true');
  await expect(page.getByRole('tabpanel')).toHaveAttribute('aria-labelledby', 'tab-synthesize');
  const form = page.getByTestId('synth-form');
  await form.getByTestId('synth-dataset').selectOption('demo');
  await form.getByTestId('synth-method').selectOption('ict');
  await form.getByTestId('synth-name').fill('demo ict');
  await form.getByTestId('synth-per-doc').fill('1');
  await form.getByTestId('synth-min-doc').fill('20');
  await form.getByTestId('synth-negatives').fill('2');
  await form.getByTestId('synth-seed').fill('7');
  await form.getByTestId('synth-generate').click();

  const row = page.locator('[data-testid=synth-set-row][data-name="demo ict"]');
  await expect(row).toBeVisible({ timeout: 60_000 });
  await expect(page.getByTestId('synth-review-name')).toHaveText('demo ict');
  const total = Number((await page.getByTestId('synth-position').textContent())?.match(/of (\d+)/)?.[1]);
  expect(total).toBeGreaterThan(50);
  await expect(page.getByTestId('synth-progress-text')).toHaveText(
    `0 of ${total} reviewed · 0 accepted · 0 rejected · ${total} waiting`,
  );
  await expect(page.getByTestId('synth-shortcuts')).toContainText('accept');
  await expect(item(page).getByTestId('synth-provenance')).toContainText(
    'a sentence taken from the document (ICT), no language model',
  );
  await expect(item(page).getByTestId('synth-negative')).toHaveCount(2);

  // typing in a field never reviews: an "a" in the set-name field leaves the item pending
  await form.getByTestId('synth-name').fill('');
  await form.getByTestId('synth-name').pressSequentially('a');
  await expectItem(page, 1, 'pending');

  await blur(page);
  const ids: string[] = [];
  ids.push((await item(page).getAttribute('data-id')) as string);
  await page.keyboard.press('a'); // item 1 accepted, on to 2
  await expectItem(page, 2, 'pending');
  ids.push((await item(page).getAttribute('data-id')) as string);
  await page.keyboard.press('r'); // item 2 rejected, on to 3
  await expectItem(page, 3, 'pending');
  ids.push((await item(page).getAttribute('data-id')) as string);
  // edit item 3's query into a question, save (accepts it)
  const edited = `${(await page.getByTestId('synth-query').textContent())?.replace(/\.$/, '')}?`;
  await page.keyboard.press('e');
  const edit = page.getByTestId('synth-edit-query');
  await expect(edit).toBeFocused();
  await edit.fill(edited);
  await page.keyboard.press('Control+Enter');
  await expect(page.getByTestId('synth-query')).toHaveText(edited);
  await expectItem(page, 3, 'accepted');
  // its first look-alike answer does answer the query: a false negative
  // (the box turns on once the worker stored it)
  await item(page).getByTestId('synth-false-negative').first().click();
  await expect(item(page).getByTestId('synth-negative').first()).toHaveAttribute('data-false', 'true');
  await page.keyboard.press('j');
  await expectItem(page, 4, 'pending');
  ids.push((await item(page).getAttribute('data-id')) as string);
  await page.keyboard.press('a'); // accept 4, then undo it: 4 is pending again and in focus
  await expectItem(page, 5, 'pending');
  await page.keyboard.press('u');
  await expectItem(page, 4, 'pending');
  await page.keyboard.press('k');
  await page.keyboard.press('ArrowUp');
  await expectItem(page, 2, 'rejected');
  await expect(page.getByTestId('synth-progress-text')).toHaveText(
    `3 of ${total} reviewed · 2 accepted · 1 rejected · ${total - 3} waiting`,
  );
  await page.keyboard.press('ArrowDown');
  await shot(page, '40-review-queue');

  // a reload: every decision was stored as it was made
  await page.reload();
  await expect(page.getByTestId('app')).toHaveAttribute('data-ready', 'true');
  await page.getByTestId('tab-synthesize').click();
  await expect(page.getByTestId('synth-progress-text')).toHaveText(
    `3 of ${total} reviewed · 2 accepted · 1 rejected · ${total - 3} waiting`,
  );
  await expect(row.getByTestId('set-accepted')).toHaveText('2');
  await blur(page);
  const want = ['accepted', 'rejected', 'accepted', 'pending'];
  for (let i = 0; i < 4; i++) {
    await expectItem(page, i + 1, want[i]);
    await expect(item(page)).toHaveAttribute('data-id', ids[i]);
    if (i === 2) {
      await expect(page.getByTestId('synth-query')).toHaveText(edited);
      await expect(page.getByTestId('synth-item-status')).toHaveText('accepted · edited');
      await expect(item(page).getByTestId('synth-negative').first()).toHaveAttribute('data-false', 'true');
    }
    await page.keyboard.press('j');
  }
  // the filter shows the accepted ones only
  await page.getByTestId('synth-filter-status').selectOption('accepted');
  await expect(page.getByTestId('synth-shown')).toHaveText('2 items shown by the filter');

  // export the accepted items: two sentence-transformers lines; item 3's false negative is left out
  const [download] = await Promise.all([
    page.waitForEvent('download'),
    page.getByTestId('synth-export').click(),
  ]);
  expect(download.suggestedFilename()).toBe('demo_ict.accepted.jsonl');
  const lines = readFileSync(await download.path(), 'utf8')
    .trim()
    .split('\n');
  expect(
    lines.map((l) =>
      Object.keys(JSON.parse(l) as object)
        .sort()
        .join(','),
    ),
  ).toEqual(['negatives,positive,query', 'negative,positive,query']);
  expect((JSON.parse(lines[1]) as { query: string }).query).toBe(edited);
  await expect(page.getByTestId('synth-exported')).toHaveText('saved demo_ict.accepted.jsonl: 2 lines');

  // import: a bad line names file:line and adds nothing; a good file becomes a new set, all pending
  const input = page.getByTestId('synth-import-file');
  await input.setInputFiles({
    name: 'bad.jsonl',
    mimeType: 'application/jsonl',
    buffer: Buffer.from('{"query": "q", "positive": "p"}\n{"query": "q2"}\n'),
  });
  await expect(page.getByTestId('error-where')).toHaveText('bad.jsonl:2');
  await expect(page.getByTestId('synth-set-row')).toHaveCount(1);
  await page.getByTestId('error-dismiss').click();
  await input.setInputFiles({
    name: 'leaflets.jsonl',
    mimeType: 'application/jsonl',
    buffer: Buffer.from(
      '{"query": "is it safe to fly when pregnant", "positive": "Air travel in pregnancy ...", "negative": "Car seats ..."}\n',
    ),
  });
  await expect(page.locator('[data-testid=synth-set-row][data-name=leaflets]')).toBeVisible();
  await expect(page.getByTestId('synth-review-name')).toHaveText('leaflets');

  // train a tiny expert on the accepted items; the recipe names the set and the policy
  await page.getByTestId('tab-train').click();
  const tf = page.getByTestId('train-form');
  await tf.getByTestId('train-source').selectOption('synth');
  await tf.getByTestId('train-synth-policy').selectOption('accepted');
  // the imported set has nothing accepted: refused before anything starts, saying why
  await tf.getByTestId('train-synth-set').selectOption({ label: 'leaflets (0 accepted of 1)' });
  await expect(tf.getByTestId('train-synth-note')).toContainText(
    '“leaflets” has no item to train on under “accepted only”: accept items in the Synthesize tab first',
  );
  await expect(tf.getByTestId('train-start')).toBeDisabled();
  await tf.getByTestId('train-synth-set').selectOption({ label: `demo ict (2 accepted of ${total})` });
  await expect(tf.getByTestId('train-synth-note')).toContainText('Trains on 2 items of “demo ict”');
  await tf.getByTestId('train-name').fill('demo synth');
  await tf.getByTestId('train-base').selectOption('glove');
  await tf.getByTestId('train-method').selectOption('adapter');
  await tf.getByTestId('train-steps').fill('3');
  await tf.getByTestId('train-batch').fill('2');
  await tf.getByTestId('train-warmup').fill('0');
  await tf.getByTestId('train-ckpt-every').fill('3');
  await tf.getByTestId('train-dev-every').fill('0');
  await tf.getByTestId('train-start').click();
  const expert = page.locator('[data-testid=expert-row][data-name="demo synth"]');
  await expect(expert).toBeVisible({ timeout: 90_000 });
  await expect(expert.getByTestId('expert-source')).toContainText(
    'synthetic set "demo ict" (accepted only) (2 pairs',
  );
  await expect(expert.getByTestId('expert-synth')).toContainText(
    `set had 2 accepted, 1 rejected, ${total - 3} not reviewed of ${total}`,
  );
  await shot(page, '41-synth-expert');
  expect(errors).toEqual([]);
});
