/** What the end-to-end specs share: opening the built app, the demo collection, screenshots, page errors. */
import { expect, type Locator, type Page } from '@playwright/test';

export const TINY = new URL('../test-assets/tiny-models', import.meta.url).pathname;
/** a metric as the results table prints it */
export const NUM = /^\d\.\d{3}$/;

export const shot = (page: Page, name: string) =>
  page.screenshot({ path: `e2e/screenshots/${name}.png`, fullPage: true });

export async function openApp(page: Page): Promise<void> {
  await page.goto('./');
  await expect(page.getByTestId('app')).toHaveAttribute('data-ready', 'true');
}

/** Loads the demo collection from the Data tab; its row. */
export async function loadDemo(page: Page): Promise<Locator> {
  await page.getByTestId('tab-data').click();
  await page.getByTestId('load-demo').click();
  const demo = page.locator('[data-testid=dataset-row][data-name=demo]');
  await expect(demo).toBeVisible();
  return demo;
}

/** The uncaught errors of a page, collected from now on (a spec ends expecting none). */
export function pageErrors(page: Page): string[] {
  const seen: string[] = [];
  page.on('pageerror', (e) => seen.push(e.message));
  return seen;
}
