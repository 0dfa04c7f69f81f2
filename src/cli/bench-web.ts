/**
 * The 'browser' bench section: the studio's WebGPU backend against ONNX Runtime Web's WebGPU EP, measured
 * in Chromium (ORT's WebGPU EP does not run in Node), on the bench models of bench-ort.ts (same folders:
 * the studio reads the safetensors, ORT the ONNX export of the same weights) and the same medquad texts
 * and batches. Records minilm_webgpu_vs_ort_webgpu and qwen3_webgpu_vs_ort_webgpu (the batched texts' ratio
 * where measured, else batch 1's). On a software adapter (SwiftShader) the sizes are cut and every figure is
 * labelled CPU-emulated; the Qwen3 shape (0.6 B parameters, ~1 GFLOP a token) is skipped there unless
 * STM_BENCH_WEB_QWEN3=1 (one query and one batch of 4 answers at 16 tokens: about 30 minutes on 2 cores).
 * STM_BENCH_WEB_MODELS=minilm (or qwen3) runs one shape; STM_BENCH_WEB_WEIGHTS=f32 gives the studio ORT's f32
 * weights (default: the studio's default, f16 on WebGPU).
 */
import { join } from 'node:path';
import { benchCacheDir, type BenchModelKind } from '../../scripts/onnx/bench-models';
import type { Dataset } from '../data/types';
import type { WebBenchResult } from '../bench-web/protocol';
import type { BenchOptions } from './bench-args';
import { buildBenchPage, openBenchBrowser, serveBench, type BenchBrowser } from './bench-browser';
import { benchModel, headline, printRow } from './bench-ort';
import { recordFigure, type BenchKey } from './bench-report';
import { row } from './bench-util';

const env = (k: string, d: number) => Number(process.env[k] ?? d);

interface WebPlan {
  readonly kind: BenchModelKind;
  readonly title: string;
  readonly key: BenchKey;
  /** medquad queries embedded one at a time */
  readonly b1: number;
  /** medquad answers embedded in one call (batches of up to 32; the 'b32' columns) */
  readonly b32: number;
  readonly maxTokens: number;
}

/**
 * Sizes: the Node bench's on a real GPU; cut on a software adapter (seconds per text there), and cut
 * further under --gpu (its whole run must stay under 5 minutes).
 */
export function webPlans(soft: boolean, gpu: boolean): WebPlan[] {
  return [
    {
      kind: 'minilm',
      title: 'MiniLM-L6-shaped BERT (6 x 384, 12 heads, FFN 1536, vocab 30522)',
      key: 'minilm_webgpu_vs_ort_webgpu',
      b1: env('STM_BENCH_WEB_MINILM_B1', soft ? (gpu ? 2 : 4) : 32),
      b32: env('STM_BENCH_WEB_MINILM_B32', soft ? (gpu ? 4 : 32) : 64),
      maxTokens: env('STM_BENCH_WEB_MINILM_TOKENS', soft ? 16 : 128),
    },
    {
      kind: 'qwen3',
      title: 'Qwen3-0.6B-shaped decoder (28 x 1024, 16/8 heads of 128, FFN 3072, vocab 151936)',
      key: 'qwen3_webgpu_vs_ort_webgpu',
      // SwiftShader: ~1.5 min a 16-token text and 4-6 min a batch of 4 per engine and pass (about 30 min in all)
      b1: env('STM_BENCH_WEB_QWEN3_B1', soft ? 1 : 8),
      b32: env('STM_BENCH_WEB_QWEN3_B32', soft ? 4 : 32),
      maxTokens: env('STM_BENCH_WEB_QWEN3_TOKENS', soft ? 16 : 32),
    },
  ];
}

function report(plan: WebPlan, r: WebBenchResult, soft: boolean): void {
  const emulated = soft ? ' [CPU-EMULATED]' : '';
  console.log(
    `${plan.title}: batch 1: ${plan.b1} medquad queries (${r.avgTokensB1.toFixed(1)} tokens avg), ` +
      `batched: ${plan.b32} answers in batches of up to 32 (cut to ${plan.maxTokens} tokens, ` +
      `${r.avgTokensB32.toFixed(1)} avg, sorted by length); each engine in a page of its own, ` +
      `one untimed pass, then the timed one`,
  );
  console.log(row(['path', 'b1 sent/s', 'x ORT', 'b32 sent/s', 'x ORT', 'tokens/s']) + 'load / agreement');
  printRow(r.ort.label + emulated, r.ort, r.ort, `load ${r.ort.loadS.toFixed(1)} s`);
  printRow(
    r.studio.label + emulated,
    r.studio,
    r.ort,
    `load ${r.studio.loadS.toFixed(1)} s; ${r.compared} texts: max |diff| ${r.maxDiff.toExponential(1)}, ` +
      `min cos ${r.minCos.toFixed(6)}`,
  );
  recordFigure(plan.key, headline(r.studio, r.ort));
  recordFigure(`${plan.kind}_webgpu_browser_sentences_per_s_b1`, r.studio.b1?.sps ?? null);
  recordFigure(`${plan.kind}_webgpu_browser_sentences_per_s_b32`, r.studio.b32?.sps ?? null);
  recordFigure(`${plan.kind}_ort_webgpu_sentences_per_s_b1`, r.ort.b1?.sps ?? null);
  recordFigure(`${plan.kind}_ort_webgpu_sentences_per_s_b32`, r.ort.b32?.sps ?? null);
  recordFigure(`${plan.kind}_webgpu_browser_min_cos_vs_ort`, r.minCos);
}

const FORMATS = ['auto', 'f32', 'f16', 'q8'] as const;

/** The studio's weight format on the page: STM_BENCH_WEB_WEIGHTS (default 'auto': f16 on WebGPU). */
export function webWeightFormat(v: string | undefined): (typeof FORMATS)[number] {
  const f = FORMATS.find((x) => x === (v ?? 'auto'));
  if (!f) throw new Error(`STM_BENCH_WEB_WEIGHTS=${v}: not one of ${FORMATS.join(', ')}`);
  return f;
}

export async function benchWeb(dataset: Dataset, opts: BenchOptions): Promise<void> {
  console.log(
    "\nIn Chromium: studio WebGPU vs ONNX Runtime Web's WebGPU EP (same model files, texts, batches)",
  );
  const kinds = (process.env.STM_BENCH_WEB_MODELS ?? 'minilm,qwen3').split(',');
  const weightFormat = webWeightFormat(process.env.STM_BENCH_WEB_WEIGHTS);
  const mounts: Record<string, string> = {}; // model folders, added as they are needed
  let browser: BenchBrowser | null = null;
  let server: Awaited<ReturnType<typeof serveBench>> | null = null;
  try {
    const page = await buildBenchPage(join(benchCacheDir(), 'page'), console.log);
    server = await serveBench(page, mounts);
    browser = await openBenchBrowser(server.url, (s) => {
      if (!s.includes('Failed to load resource')) console.log(s);
    });
  } catch (e) {
    console.log(row(['browser comparison: unavailable', (e as Error).message]));
    await server?.close();
    return;
  }
  const soft = browser.adapter.software !== null;
  recordFigure('webgpu_browser_emulated', soft ? 1 : 0);
  recordFigure('webgpu_browser_adapter', browser.adapter.label + (soft ? ' (CPU-EMULATED)' : ''));
  console.log(
    `Chromium's WebGPU adapter: ${browser.adapter.label} (${browser.launch})` +
      (soft
        ? ` - ${browser.adapter.software}, a CPU implementation: every figure below is CPU-EMULATED, not a GPU's; sizes cut`
        : ''),
  );
  try {
    for (const plan of webPlans(soft, opts.gpu)) {
      if (!kinds.includes(plan.kind)) continue;
      if (plan.kind === 'qwen3' && soft && process.env.STM_BENCH_WEB_QWEN3 !== '1') {
        console.log(
          `\n${plan.title}: skipped, WebGPU here is CPU-emulated (0.6 B parameters, ~1 GFLOP a token; STM_BENCH_WEB_QWEN3=1 runs it)`,
        );
        continue;
      }
      console.log('');
      const m = benchModel(plan.kind, dataset);
      mounts[plan.kind] = m.dir;
      try {
        const r = await browser.run({
          model: `models/${plan.kind}/`,
          externalData: m.externalData.map((e) => ({
            path: e.path,
            url: `models/${plan.kind}/onnx/${e.path}`,
          })),
          b1: dataset.queries.slice(0, plan.b1).map((q) => q.text),
          b32: dataset.docs.slice(0, plan.b32).map((d) => d.text),
          maxTokens: plan.maxTokens,
          weightFormat,
        });
        report(plan, r, soft);
      } catch (e) {
        console.log(row([`${plan.kind} in Chromium: failed`, (e as Error).message.split('\n')[0]]));
        recordFigure(plan.key, null);
      }
    }
  } finally {
    await browser.close();
    await server.close();
  }
}
