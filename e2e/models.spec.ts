import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, test, type Page } from '@playwright/test';
import { loadDemo, NUM, openApp, pageErrors, shot, TINY } from './app';

/** Runs the Evaluate form with `retriever` on the demo collection; waits for its new results row. */
async function evaluateDemo(page: Page, retriever: string, timeout = 240_000) {
  await page.getByTestId('tab-evaluate').click();
  await page.getByTestId('eval-dataset').selectOption('demo');
  const rows = page.locator(`[data-testid=result-row][data-dataset=demo][data-retriever="${retriever}"]`);
  const before = await rows.count();
  await page.getByTestId('eval-retriever').selectOption(retriever);
  await page.getByTestId('run-eval').click();
  await expect(rows).toHaveCount(before + 1, { timeout });
  await expect(rows.first().getByTestId('cell-ndcg@10')).toHaveText(NUM);
}

async function similarity(page: Page, a: string, b: string): Promise<number> {
  await page.getByTestId('sim-text-a').fill(a);
  await page.getByTestId('sim-text-b').fill(b);
  await page.getByTestId('sim-compute').click();
  const value = page.getByTestId('sim-value');
  await expect(value).toBeVisible({ timeout: 120_000 });
  return Number(await value.innerText());
}

test.describe.configure({ mode: 'serial' });

test('Models tab: USE-lite architecture and a similarity that ranks the synonym first', async ({ page }) => {
  const errors = pageErrors(page);
  await openApp(page);
  // the studio's WGSL kernels in the browser: WebGPU asked for ('auto' would take the CPU over SwiftShader)
  await page.getByTestId('backend-pref').selectOption('webgpu');
  await expect(page.getByTestId('backend-label')).toContainText(/^WebGPU · /);
  await page.getByTestId('tab-models').click();
  const row = page.locator('[data-testid=model-row][data-id=use-lite]');
  await expect(row.getByTestId('model-select')).toBeChecked();
  await expect(row.getByTestId('model-kind')).toHaveText('transformer');
  await expect(row.getByTestId('model-source')).toHaveText('built-in');
  const details = page.getByTestId('model-details');
  await expect(details.getByTestId('arch-layers')).toHaveText('2', { timeout: 120_000 });
  await expect(details.getByTestId('arch-hidden')).toHaveText('512');
  await expect(details.getByTestId('arch-family')).toContainText('use-lite');
  await expect(details.getByTestId('arch-max-tokens')).toHaveText('128');
  await expect(details.getByTestId('arch-parameters')).toHaveText(/M$/);
  await expect(row.getByTestId('model-size')).toHaveText(/MB$/);

  // the box defaults to query vs passage; compare both pairs the same way
  const close = await similarity(page, 'heart attack', 'myocardial infarction');
  await expect(page.getByTestId('sim-time')).toContainText('studio kernels on');
  const far = await similarity(page, 'heart attack', 'jet engine');
  expect(close).toBeGreaterThan(far);
  await shot(page, '10-models-use-lite');
  expect(errors).toEqual([]);
});

test('a Hugging Face folder (tiny-bert) imports with an engine choice, shows its architecture and evaluates', async ({
  page,
}) => {
  await openApp(page);
  // the transformer's WGSL kernels in the browser: WebGPU asked for ('auto' would take the CPU over SwiftShader)
  await page.getByTestId('backend-pref').selectOption('webgpu');
  await expect(page.getByTestId('backend-label')).toContainText(/^WebGPU · /);
  await loadDemo(page);
  await page.getByTestId('tab-models').click();
  await page.getByTestId('model-folder').setInputFiles(join(TINY, 'tiny-bert'));
  // the folder holds both model.safetensors and onnx/model.onnx: the studio kernels are the default
  const choice = page.getByTestId('engine-choice');
  await expect(choice).toBeVisible();
  await expect(choice.getByTestId('engine-native')).toBeChecked();
  await shot(page, '11-engine-choice');
  await choice.getByTestId('engine-confirm').click();
  const row = page.locator('[data-testid=model-row][data-id=tiny-bert]');
  await expect(row).toBeVisible({ timeout: 60_000 });
  await expect(row.getByTestId('model-select')).toBeChecked();
  await expect(row.getByTestId('model-source')).toHaveText('folder');
  await expect(row.getByTestId('model-size')).toHaveText(/MB$/);
  const details = page.getByTestId('model-details');
  await expect(details).toHaveAttribute('data-id', 'tiny-bert');
  await expect(details.getByTestId('arch-layers')).toHaveText('2');
  await expect(details.getByTestId('arch-hidden')).toHaveText('32');
  await expect(details.getByTestId('arch-heads')).toHaveText('4');
  await expect(details.getByTestId('arch-family')).toHaveText('bert · bert');
  await shot(page, '12-tiny-bert');

  await evaluateDemo(page, 'tiny-bert');
  await expect(page.locator('[data-testid=result-row][data-retriever=tiny-bert]')).toContainText('WebGPU');
  await shot(page, '13-tiny-bert-results');

  // a reload keeps the model (its files are in IndexedDB) and it still runs
  await page.reload();
  await expect(page.getByTestId('app')).toHaveAttribute('data-ready', 'true');
  await page.getByTestId('tab-models').click();
  await expect(page.locator('[data-testid=model-row][data-id=tiny-bert]')).toBeVisible();
  expect(await similarity(page, 'heart attack', 'heart attack')).toBeGreaterThan(0.999);
});

test.describe('hub download', () => {
  // page.route does not see requests a service worker handles
  test.use({ serviceWorkers: 'block' });

  test('a hub id downloads with per-file progress through a routed huggingface.co; templates persist over a reload', async ({
    page,
  }) => {
    const requested: string[] = [];
    await page.route('https://huggingface.co/**', async (route) => {
      const url = route.request().url();
      requested.push(url);
      const m = /^https:\/\/huggingface\.co\/test-org\/([\w-]+)\/resolve\/main\/(.+)$/.exec(url);
      const path = m ? join(TINY, m[1], m[2]) : '';
      const cors = { 'access-control-allow-origin': '*' };
      if (!m || !existsSync(path))
        return route.fulfill({ status: 404, body: 'Entry not found', headers: cors });
      // the weights arrive late, so the progress of the files before them can be seen
      if (m[2] === 'model.safetensors') await new Promise((r) => setTimeout(r, 2500));
      const body = readFileSync(path);
      return route.fulfill({
        status: 200,
        body,
        headers: {
          ...cors,
          'content-type': 'application/octet-stream',
          'content-length': String(body.byteLength),
        },
      });
    });
    await openApp(page);
    await page.getByTestId('tab-models').click();

    // a wrong id: the error names the file and the status
    await page.getByTestId('hub-id').fill('test-org/missing');
    await page.getByTestId('hub-download').click();
    const err = page.getByTestId('error');
    await expect(err.getByTestId('error-where')).toHaveText('test-org/missing/config.json');
    await expect(err).toContainText('HTTP 404');
    await err.getByTestId('error-dismiss').click();

    await page.getByTestId('hub-id').fill('test-org/tiny-qwen3');
    await page.getByTestId('hub-download').click();
    await expect(page.locator('[data-testid=job][data-kind=model]')).toBeVisible();
    await expect(page.getByTestId('job-progress')).toBeVisible();
    await expect(page.locator('[data-testid=download-file][data-file="config.json"]')).toBeVisible();
    await shot(page, '14-hub-progress');
    const row = page.locator('[data-testid=model-row][data-id="test-org/tiny-qwen3"]');
    await expect(row).toBeVisible({ timeout: 60_000 });
    await expect(page.locator('[data-testid=download-file]')).toHaveCount(4);
    await expect(row.getByTestId('model-source')).toHaveText('hub');
    const details = page.getByTestId('model-details');
    await expect(details.getByTestId('arch-kv-heads')).toHaveText('2');
    await expect(details.getByTestId('arch-pooling')).toHaveText('last');
    expect(requested.every((u) => u.startsWith('https://huggingface.co/test-org/'))).toBe(true);

    // edit the decoder's instruction and passage template
    const editor = page.getByTestId('template-editor');
    await expect(editor).toHaveAttribute('data-custom', 'false');
    await editor
      .getByTestId('template-instruction')
      .fill('Given a medical question, find abstracts that answer it');
    await editor.getByTestId('template-passage').fill('passage: {title}\n{text}');
    await editor.getByTestId('template-save').click();
    await expect(page.getByTestId('template-editor')).toHaveAttribute('data-custom', 'true');
    await expect(row.getByTestId('model-custom')).toBeVisible();
    await similarity(page, 'heart attack', 'myocardial infarction');
    await expect(page.getByTestId('sim-texts')).toContainText(
      'Given a medical question, find abstracts that answer it\\nQuery: heart attack',
    );
    await shot(page, '15-templates');

    await page.reload();
    await expect(page.getByTestId('app')).toHaveAttribute('data-ready', 'true');
    await page.getByTestId('tab-models').click();
    await expect(page.getByTestId('model-details')).toHaveAttribute('data-id', 'test-org/tiny-qwen3');
    await expect(page.getByTestId('template-instruction')).toHaveValue(
      'Given a medical question, find abstracts that answer it',
      { timeout: 60_000 },
    );
    await expect(page.getByTestId('template-passage')).toHaveValue('passage: {title}\n{text}');
    // Reset goes back to the model's own templates
    await page.getByTestId('template-reset').click();
    await expect(page.getByTestId('template-editor')).toHaveAttribute('data-custom', 'false');
    await expect(page.getByTestId('template-passage')).toHaveValue(
      'Represent this passage\npassage: {title}\n{text}',
    );

    // delete: it leaves the list
    page.once('dialog', (d) => void d.accept());
    await page
      .locator('[data-testid=model-row][data-id="test-org/tiny-qwen3"]')
      .getByTestId('model-delete')
      .click();
    await expect(page.locator('[data-testid=model-row][data-id="test-org/tiny-qwen3"]')).toHaveCount(0);
  });
});
