/**
 * Synthesize with an LLM in the browser: a chat-completions server on this machine (a real local HTTP
 * server speaking the protocol, started by the test) writes the queries and a hard negative per query;
 * the page reaches it under the studio's Content-Security-Policy; a hosted URL is refused in the form.
 */
import { expect, test } from '@playwright/test';
import { lastUserMessage, startChatServer, type ChatServer } from '../src/testing/chat-server';
import { loadDemo, openApp, pageErrors, shot } from './app';

let server: ChatServer;
test.beforeAll(async () => {
  server = await startChatServer((req) => {
    const msg = lastUserMessage(req);
    if (/does NOT answer|not answer/i.test(msg))
      return {
        kind: 'ok',
        content:
          'Hospital budgets, staffing ratios and the history of the ward are described here, with nothing on the question asked.',
      };
    const title = (/Title: (.*)/.exec(msg)?.[1] ?? 'this topic').toLowerCase();
    return { kind: 'ok', content: `1. what is ${title}\n2. ${title} in adults` };
  });
});
test.afterAll(async () => server.close());

test('an LLM server on this computer writes queries and hard negatives for the demo; the set is reviewed like any other', async ({
  page,
}) => {
  test.setTimeout(120_000);
  const errors = pageErrors(page);
  await openApp(page);
  await loadDemo(page);
  await page.getByTestId('tab-synthesize').click();
  const form = page.getByTestId('synth-form');
  await form.getByTestId('synth-dataset').selectOption('demo');
  await form.getByTestId('synth-method').selectOption('llm');
  await expect(form.getByTestId('synth-llm')).toBeVisible();

  // a hosted API is refused beside its field, and the button waits
  await form.getByTestId('synth-endpoint-url').fill('https://api.example.com');
  await form.getByTestId('synth-endpoint-model').fill('test-model');
  await expect(form.getByTestId('synth-endpoint-url-problem')).toContainText(
    'reaches only an LLM server on this machine',
  );
  await expect(form.getByTestId('synth-generate')).toBeDisabled();

  await form.getByTestId('synth-endpoint-url').fill(server.url.replace('localhost', '127.0.0.1'));
  await expect(form.getByTestId('synth-endpoint-url-problem')).toHaveCount(0);
  await form.getByTestId('synth-name').fill('demo llm');
  await form.getByTestId('synth-per-doc').fill('2');
  await form.getByTestId('synth-max-docs').fill('5');
  await form.getByTestId('synth-negatives').fill('1');
  await form.getByTestId('synth-write-negatives').check();
  await shot(page, '42-synth-llm-form');
  await form.getByTestId('synth-generate').click();

  const row = page.locator('[data-testid=synth-set-row][data-name="demo llm"]');
  await expect(row).toBeVisible({ timeout: 60_000 });
  await expect(page.getByTestId('synth-position')).toHaveText(/^Item 1 of 10$/);
  const item = page.getByTestId('synth-item');
  await expect(item.getByTestId('synth-provenance')).toContainText('a language model');
  await expect(item.getByTestId('synth-provenance')).toContainText('test-model');
  await expect(item.getByTestId('synth-negative')).toHaveCount(2);
  await expect(item.getByTestId('synth-negative').nth(1)).toContainText('Hospital budgets');
  // one request per document for its queries, one per item for its negative
  const posts = server.requests.filter((r) => r.method === 'POST');
  expect(posts.map((r) => r.body.model)).toEqual(Array(15).fill('test-model'));
  await page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());
  await page.keyboard.press('a');
  await expect(page.getByTestId('synth-progress-text')).toHaveText(/^1 of 10 reviewed · 1 accepted/);
  await shot(page, '43-synth-llm-review');
  await expect(page.getByTestId('error')).toHaveCount(0);
  expect(errors).toEqual([]);
});
