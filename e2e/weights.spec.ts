import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test } from '@playwright/test';
import { SafetensorsFile, writeSafetensors } from '../src/models/hf/safetensors';
import { openApp, pageErrors, shot, TINY } from './app';

/** tiny-qwen3 as a sharded checkpoint (two shards + model.safetensors.index.json) in a fresh folder */
function shardedQwen(): string {
  const src = join(TINY, 'tiny-qwen3');
  const dir = join(mkdtempSync(join(tmpdir(), 'stm-e2e-')), 'tiny-qwen3-sharded');
  mkdirSync(dir);
  for (const f of ['config.json', 'tokenizer.json', 'tokenizer_config.json'])
    copyFileSync(join(src, f), join(dir, f));
  const b = readFileSync(join(src, 'model.safetensors'));
  const whole = SafetensorsFile.open(
    b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer,
  );
  const weightMap: Record<string, string> = {};
  [whole.names.slice(0, 8), whole.names.slice(8)].forEach((part, k) => {
    const file = `model-0000${k + 1}-of-00002.safetensors`;
    writeFileSync(
      join(dir, file),
      new Uint8Array(writeSafetensors(new Map(part.map((n) => [n, whole.get(n)])))),
    );
    for (const n of part) weightMap[n] = file;
  });
  writeFileSync(
    join(dir, 'model.safetensors.index.json'),
    JSON.stringify({ metadata: {}, weight_map: weightMap }),
  );
  return dir;
}

test('a sharded Hugging Face folder imports (read tensor by tensor in the worker); q8 weights, their cosine to f32, kept over a reload', async ({
  page,
}) => {
  const errors = pageErrors(page);
  await openApp(page);
  await page.getByTestId('backend-pref').selectOption('cpu');
  await page.getByTestId('tab-models').click();
  await page.getByTestId('model-folder').setInputFiles(shardedQwen());
  const row = page.locator('[data-testid=model-row][data-id=tiny-qwen3-sharded]');
  await expect(row).toBeVisible({ timeout: 60_000 });
  const details = page.getByTestId('model-details');
  await expect(details.getByTestId('arch-family')).toHaveText('decoder · qwen3');

  const wf = details.getByTestId('weight-format');
  await wf.getByTestId('weight-format-select').selectOption('q8');
  await expect(wf).toContainText('Linear weights upload as q8 on this backend');
  await wf.getByTestId('weight-check').click();
  const result = wf.getByTestId('weight-check-result');
  await expect(result).toBeVisible({ timeout: 60_000 });
  await expect(result).toContainText(
    /^q8 weights: cosine to f32 mean 0\.99\d{3}, min 0\.99\d{3} over 24 demo queries$/,
  );
  await shot(page, '40-weight-format-q8');

  // the choice is kept: after a reload the model is listed with q8 weights
  await page.reload();
  await expect(page.getByTestId('app')).toHaveAttribute('data-ready', 'true');
  await page.getByTestId('tab-models').click();
  await expect(page.getByTestId('model-details')).toHaveAttribute('data-id', 'tiny-qwen3-sharded');
  await expect(page.getByTestId('weight-format-select')).toHaveValue('q8');
  expect(errors).toEqual([]);
});
