import { expect, test, type Page } from '@playwright/test';
import { loadDemo, openApp, shot } from './app';

/** Each table's box against its card's: a table wider than its card spills out of it. */
async function spilling(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const out: string[] = [];
    for (const t of document.querySelectorAll('table')) {
      const card = t.closest('.card');
      if (!card || !(t as HTMLElement).offsetParent) continue;
      const tb = t.getBoundingClientRect();
      const cb = card.getBoundingClientRect();
      // a table inside a horizontal scroller is clipped by it: measure what is shown
      let shown = tb;
      for (let p = t.parentElement; p && p !== card; p = p.parentElement) {
        const s = getComputedStyle(p).overflowX;
        if (s === 'auto' || s === 'scroll' || s === 'hidden') shown = p.getBoundingClientRect();
      }
      if (shown.left < cb.left - 0.5 || shown.right > cb.right + 0.5)
        out.push(
          `${t.dataset.testid ?? t.className}: ${Math.round(shown.right - cb.right)} px past its card`,
        );
    }
    return out;
  });
}

test.describe.configure({ mode: 'serial' });

test('keyboard: the tab bar follows the ARIA tabs pattern, result and query rows open with Enter and Space', async ({
  page,
}) => {
  await openApp(page);
  await loadDemo(page);

  // tabs: one tabbable tab (the selected one), arrows move and select, Home/End jump, with wrap-around
  const tablist = page.getByRole('tablist');
  await expect(tablist.getByRole('tab')).toHaveCount(7);
  await expect(page.getByTestId('tab-data')).toHaveAttribute('aria-selected', 'true');
  await expect(page.getByTestId('tab-data')).toHaveAttribute('tabindex', '0');
  await expect(page.getByTestId('tab-models')).toHaveAttribute('tabindex', '-1');
  await expect(page.getByRole('tabpanel')).toHaveAttribute('aria-labelledby', 'tab-data');
  await page.getByTestId('tab-data').focus();
  await page.keyboard.press('ArrowRight');
  await expect(page.getByTestId('tab-models')).toBeFocused();
  await expect(page.getByTestId('tab-models')).toHaveAttribute('aria-selected', 'true');
  await expect(page.getByTestId('models-panel')).toBeVisible();
  await page.keyboard.press('End');
  await expect(page.getByTestId('tab-evaluate')).toBeFocused();
  await expect(page.getByTestId('evaluate-panel')).toBeVisible();
  await page.keyboard.press('ArrowRight');
  await expect(page.getByTestId('tab-data')).toBeFocused();
  await page.keyboard.press('ArrowLeft');
  await expect(page.getByTestId('tab-evaluate')).toHaveAttribute('aria-selected', 'true');
  await page.keyboard.press('Home');
  await expect(page.getByTestId('tab-data')).toHaveAttribute('aria-selected', 'true');
  await page.keyboard.press('End');
  await expect(page.getByRole('tabpanel')).toHaveAttribute('aria-labelledby', 'tab-evaluate');

  // a BM25 run, then its row opens from the keyboard
  await page.getByTestId('eval-dataset').selectOption('demo');
  await page.getByTestId('eval-retriever').selectOption('bm25');
  await page.getByTestId('run-eval').click();
  const row = page.locator('[data-testid=result-row][data-retriever=bm25]').first();
  await expect(row).toBeVisible({ timeout: 60_000 });
  await expect(page.getByTestId('job')).toHaveCount(0);
  // a finished run is opened: close it with Space, open it again with Enter
  await expect(page.getByTestId('query-list')).toBeVisible();
  await row.focus();
  await expect(row).toBeFocused();
  await page.keyboard.press(' ');
  await expect(page.getByTestId('query-list')).toHaveCount(0);
  await page.keyboard.press('Enter');
  await expect(page.getByTestId('query-list')).toBeVisible();
  await expect(row).toHaveAttribute('aria-selected', 'true');

  // query rows: Tab reaches them, Enter opens the drill-down, Space opens another one
  const queries = page.getByTestId('query-row');
  await queries.first().focus();
  await page.keyboard.press('Enter');
  await expect(page.getByTestId('drilldown')).toBeVisible();
  const first = await queries.first().getAttribute('data-qid');
  await expect(page.getByTestId('drill-query-text')).not.toBeEmpty();
  await page.keyboard.press('Tab');
  await expect(queries.nth(1)).toBeFocused();
  await page.keyboard.press(' ');
  await expect(queries.nth(1)).toHaveAttribute('aria-selected', 'true');
  expect(await queries.nth(1).getAttribute('data-qid')).not.toBe(first);
  await shot(page, '30-keyboard');
});

test('at 800 px wide no table spills past its card', async ({ page }) => {
  await page.setViewportSize({ width: 800, height: 900 });
  await openApp(page);
  await loadDemo(page);
  await page.getByTestId('tab-evaluate').click();
  await page.getByTestId('eval-dataset').selectOption('demo');
  await page.getByTestId('eval-retriever').selectOption('bm25');
  await page.getByTestId('run-eval').click();
  await expect(page.locator('[data-testid=result-row]').first()).toBeVisible({ timeout: 60_000 });
  await expect(page.getByTestId('job')).toHaveCount(0);
  const seen: string[] = [];
  for (const tab of ['data', 'models', 'synthesize', 'train', 'evaluate']) {
    await page.getByTestId(`tab-${tab}`).click();
    if (tab === 'evaluate') {
      const row = page.locator('[data-testid=result-row]').first();
      await expect(row).toBeVisible();
      if ((await page.getByTestId('query-list').count()) === 0) await row.click();
      await page.getByTestId('query-row').first().click();
      await expect(page.getByTestId('drilldown')).toBeVisible();
    }
    if (tab === 'models') await expect(page.getByTestId('model-row').first()).toBeVisible();
    if (tab === 'data') await expect(page.getByTestId('dataset-row').first()).toBeVisible();
    await page.waitForTimeout(300);
    const n = await page.locator('.card table').count();
    seen.push(`${tab}: ${n}`);
    await shot(page, `31-800px-${tab}`);
    expect(await spilling(page), `tables past their card on the ${tab} tab`).toEqual([]);
  }
  // the tables the check covered (data, models, results and queries at least)
  expect(seen.filter((s) => !s.endsWith(': 0')).length).toBeGreaterThanOrEqual(3);
});
