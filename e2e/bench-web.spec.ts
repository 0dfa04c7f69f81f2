/**
 * The in-browser comparison that `npm run bench` (section 'browser', src/cli/bench-web.ts) drives: the
 * comparison page built and served by src/cli/bench-browser.ts, opened in Chromium, runs the tiny BERT
 * test model through both ONNX Runtime Web's WebGPU EP (its ONNX export) and the studio's WebGPU backend
 * (its safetensors) on medquad queries. Checks the page's protocol end to end: both engines ran on a
 * WebGPU adapter, produced agreeing embeddings (same weights, same math) and finite rates. Not a timing test.
 */
import { join } from 'node:path';
import { expect, test } from '@playwright/test';
import { buildBenchPage, openBenchBrowser, serveBench } from '../src/cli/bench-browser';
import { hasSharedDatasets, loadSharedDataset } from '../src/data/node';

const ROOT = new URL('..', import.meta.url).pathname;

test('studio WebGPU and ORT WebGPU EP agree on the tiny BERT in Chromium', async () => {
  test.skip(!hasSharedDatasets(['medquad']), 'needs ../shared/datasets/medquad (or STM_DATASETS)');
  test.setTimeout(120_000);
  const medquad = await loadSharedDataset('medquad');
  const page = await buildBenchPage(join(ROOT, 'node_modules', '.cache', 'stm-bench', 'page'));
  const server = await serveBench(page, { tiny: join(ROOT, 'test-assets', 'tiny-models', 'tiny-bert') });
  const browser = await openBenchBrowser(server.url);
  try {
    expect(browser.adapter.label).not.toBe('');
    const r = await browser.run({
      model: 'models/tiny/',
      externalData: [],
      b1: medquad.queries.slice(0, 1).map((q) => q.text),
      b32: medquad.queries.slice(1, 3).map((q) => q.text),
      maxTokens: 24,
    });
    expect(r.ort.label).toContain('ORT webgpu EP');
    expect(r.studio.label).toMatch(/^studio /);
    expect(r.dim).toBe(32);
    expect(r.compared).toBe(2);
    // packed-f16 (or shader-f16) weights against ORT's f32: within f16 rounding
    expect(r.minCos).toBeGreaterThan(0.9999);
    expect(r.maxDiff).toBeLessThan(1e-2);
    for (const e of [r.ort, r.studio])
      for (const rate of [e.b1, e.b32]) {
        expect(rate).not.toBeNull();
        expect(Number.isFinite(rate!.sps) && rate!.sps > 0).toBe(true);
        expect(Number.isFinite(rate!.tps) && rate!.tps > 0).toBe(true);
      }
    expect(r.avgTokensB32).toBeGreaterThan(2);
  } finally {
    await browser.close();
    await server.close();
  }
});
