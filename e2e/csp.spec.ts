import { join } from 'node:path';
import { expect, test, type Page } from '@playwright/test';
import { loadDemo, NUM, TINY } from './app';

/** Every CSP violation the page (a securitypolicyviolation event) or a worker (console) reports. */
async function watchCsp(page: Page): Promise<string[]> {
  const seen: string[] = [];
  await page.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (e) => {
      const w = window as unknown as { __csp?: string[] };
      (w.__csp ??= []).push(
        `${e.violatedDirective} blocked ${e.blockedURI} (${e.sourceFile}:${e.lineNumber})`,
      );
    });
  });
  page.on('console', (m) => {
    if (/Content Security Policy|Content-Security-Policy/i.test(m.text())) seen.push(m.text());
  });
  page.on('pageerror', (e) => {
    if (/Content Security Policy|unsafe-eval|wasm-unsafe-eval/i.test(e.message)) seen.push(e.message);
  });
  return seen;
}
const pageViolations = (page: Page) =>
  page.evaluate(() => (window as unknown as { __csp?: string[] }).__csp ?? []);

async function evaluateDemo(page: Page, retriever: string) {
  await page.getByTestId('tab-evaluate').click();
  await page.getByTestId('eval-dataset').selectOption('demo');
  const rows = page.locator(`[data-testid=result-row][data-dataset=demo][data-retriever="${retriever}"]`);
  const before = await rows.count();
  await page.getByTestId('eval-retriever').selectOption(retriever);
  await page.getByTestId('run-eval').click();
  await expect(rows).toHaveCount(before + 1, { timeout: 240_000 });
  await expect(rows.first().getByTestId('cell-ndcg@10')).toHaveText(NUM);
}

test('the built site runs under its strict Content-Security-Policy: demo, BM25, dense GloVe, an ONNX model, no violation', async ({
  page,
}) => {
  const violations = await watchCsp(page);
  const res = await page.goto('./');
  // the policy comes as a header (vite preview, like a static host's _headers) and as a <meta>
  const header = res?.headers()['content-security-policy'] ?? '';
  expect(header).toContain("script-src 'self' 'wasm-unsafe-eval'");
  expect(header).not.toMatch(/'unsafe-inline'|'unsafe-eval'/);
  const meta = await page.locator('meta[http-equiv=Content-Security-Policy]').getAttribute('content');
  expect(meta).toContain("default-src 'self'");
  expect(meta).not.toMatch(/'unsafe-inline'|'unsafe-eval'/);
  await expect(page.getByTestId('app')).toHaveAttribute('data-ready', 'true');

  await loadDemo(page);
  await evaluateDemo(page, 'bm25');
  await evaluateDemo(page, 'glove'); // the engine worker, WGSL kernels (or the CPU path), model files

  // an ONNX model on onnxruntime-web (its wasm needs 'wasm-unsafe-eval')
  await page.getByTestId('tab-models').click();
  await page.getByTestId('model-folder').setInputFiles(join(TINY, 'tiny-bert'));
  const choice = page.getByTestId('engine-choice');
  await expect(choice).toBeVisible();
  await choice.getByTestId('engine-onnx').check();
  await choice.getByTestId('engine-confirm').click();
  const row = page.locator('[data-testid=model-row][data-id=tiny-bert]');
  await expect(row).toBeVisible({ timeout: 240_000 }); // onnxruntime-web on SwiftShader takes a minute or more
  await evaluateDemo(page, 'tiny-bert');
  await expect(page.locator('[data-testid=result-row][data-retriever=tiny-bert]').first()).not.toContainText(
    'n/a',
  );

  expect(await pageViolations(page), 'CSP violations while the studio ran').toEqual([]);
  expect(violations).toEqual([]);

  // the probe itself works: an inline script is refused and reported (once per policy: header and meta)
  await page.evaluate(() => {
    const s = document.createElement('script');
    s.textContent = 'window.__inlineRan = true';
    document.body.append(s);
  });
  await expect.poll(async () => (await pageViolations(page)).length).toBeGreaterThan(0);
  expect(
    await page.evaluate(() => (window as unknown as { __inlineRan?: boolean }).__inlineRan),
  ).toBeUndefined();
  for (const v of await pageViolations(page)) expect(v).toMatch(/^script-src/);
});
