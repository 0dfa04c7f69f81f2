/**
 * The studio against ONNX Runtime Web (what transformers.js runs) on the same random model, same texts,
 * same run: a MiniLM-L6-shaped BERT and a Qwen3-0.6B-shaped decoder (scripts/onnx/bench-models.ts),
 * studio CPU vs ORT's wasm EP multi-threaded (env.wasm.numThreads = the machine's cores) and studio WebGPU
 * vs ORT's WebGPU EP. Sentences/s at batch 1 and batch 32 (texts sorted by length first, so both tools get
 * the same batches), tokens/s, and how far the embeddings are apart (same weights, same math: they must agree).
 */
import { readdirSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { ensureBenchModel, type BenchModel, type BenchModelKind } from '../../scripts/onnx/bench-models';
import type { Backend } from '../core/backend';
import type { Dataset } from '../data/types';
import { acquireBackend } from '../gpu/select';
import { loadHfModel } from '../models/hf/load';
import type { Embedder } from '../models/types';
import { loadOrtEmbedderFromFolder } from '../models/ort/node';
import { configureOrt } from '../models/ort/session';
import { recordFigure, type BenchKey } from './bench-report';
import { row } from './bench-util';
import { agreement, timeEmbeddings, warmUp, type Timed } from '../bench-web/measure';
import { type BenchOptions, isSoftwareGpu, webgpuIsEmulated } from './bench-args';

const env = (k: string, d: number) => Number(process.env[k] ?? d);

/** this process's OS threads (Linux /proc; -1 elsewhere): shows ORT's wasm worker threads starting */
function osThreads(): number {
  try {
    return readdirSync('/proc/self/task').length;
  } catch {
    return -1;
  }
}

/** the bench model of this kind (generated on first use from the dataset's texts' vocabulary) */
export function benchModel(kind: BenchModelKind, dataset: Dataset): BenchModel {
  const vocabTexts = [...dataset.queries.map((q) => q.text), ...dataset.docs.map((d) => d.text)];
  return ensureBenchModel(kind, vocabTexts, undefined, console.log);
}

interface ShapePlan {
  readonly kind: BenchModelKind;
  readonly title: string;
  readonly keys: { cpu: BenchKey; webgpu: BenchKey };
  /** texts embedded one at a time (medquad queries) */
  readonly b1: number;
  /** texts embedded 32 at a time (medquad answers), 0 to skip */
  readonly b32: number;
  readonly maxTokens: number;
}

interface Measured extends Timed {
  /** CPU time / wall time over the timed runs (> 1: more than one thread worked) */
  readonly cpuPerWall: number;
}

async function measure(
  model: Embedder,
  backend: Backend,
  b1: readonly string[],
  b32: readonly string[],
  tokens: (t: string) => number,
): Promise<Measured> {
  await warmUp(model, backend, b1[0] ?? b32[0]);
  const cpu0 = process.cpuUsage();
  const t = await timeEmbeddings(model, backend, b1, b32, tokens);
  const c = process.cpuUsage(cpu0);
  return { ...t, cpuPerWall: (c.user + c.system) / 1e6 / t.wallS };
}

const fmt = (x: number | undefined | null) =>
  x == null ? '-' : x >= 100 ? x.toFixed(0) : x >= 1 ? x.toFixed(1) : x.toFixed(3);

type Rates = Pick<Timed, 'b1' | 'b32'>;

/** one table row: sentences/s at batch 1 and 32 with their ratios to `ref`, tokens/s, a note */
export function printRow(label: string, m: Rates | null, ref: Rates | null, note = ''): void {
  const ratio = (a?: number, b?: number) => (a && b ? (a / b).toFixed(2) : '-');
  console.log(
    row([
      label.slice(0, 33),
      fmt(m?.b1?.sps),
      ratio(m?.b1?.sps, ref?.b1?.sps),
      fmt(m?.b32?.sps),
      ratio(m?.b32?.sps, ref?.b32?.sps),
      fmt(m?.b32?.tps ?? m?.b1?.tps),
    ]) + note,
  );
}

/** the ratio a key records: batch 32 where measured, else batch 1 */
export const headline = (m: Rates, ref: Rates): number | null =>
  m.b32 && ref.b32 ? m.b32.sps / ref.b32.sps : m.b1 && ref.b1 ? m.b1.sps / ref.b1.sps : null;

async function benchShape(plan: ShapePlan, dataset: Dataset, opts: BenchOptions): Promise<void> {
  if (opts.gpu && plan.kind === 'qwen3' && (await webgpuIsEmulated())) {
    console.log(`\n${plan.title}: skipped, WebGPU here is CPU-emulated (0.6 B parameters would take hours)`);
    return;
  }
  const t0 = performance.now();
  const m = benchModel(plan.kind, dataset);
  const genS = (performance.now() - t0) / 1000;
  const threads = env('STM_BENCH_ORT_THREADS', availableParallelism());
  await configureOrt({ numThreads: threads });
  const threadsBefore = osThreads();
  const ort = await loadOrtEmbedderFromFolder(m.dir, {
    executionProviders: ['wasm'],
    numThreads: threads,
    batchSize: 32,
    maxTokens: plan.maxTokens,
    externalData: m.externalData,
  });
  const workers = osThreads() - threadsBefore;
  const tokens = (t: string) => ort.encode(t).length;
  const b1 = dataset.queries.slice(0, plan.b1).map((q) => q.text);
  const b32 = dataset.docs
    .slice(0, plan.b32)
    .map((d) => d.text)
    .sort((a, b) => tokens(a) - tokens(b));
  const avg = (xs: string[]) => (xs.length ? xs.reduce((a, s) => a + tokens(s), 0) / xs.length : 0);
  console.log(
    `\n${plan.title}: random weights (${m.dir}${genS > 1 ? `, generated in ${genS.toFixed(0)} s` : ''}); ` +
      `batch 1: ${b1.length} medquad queries (${avg(b1).toFixed(1)} tokens avg), batch 32: ${b32.length} answers ` +
      `(cut to ${plan.maxTokens} tokens, ${avg(b32).toFixed(1)} avg, sorted by length)`,
  );
  console.log(row(['path', 'b1 sent/s', 'x ORT', 'b32 sent/s', 'x ORT', 'tokens/s']) + 'agreement');
  const pool = await acquireBackend('cpu'); // pools ORT's hidden states (the same kernel as the studio's)
  const ref = await measure(ort, pool, b1, b32, tokens);
  await ort.dispose();
  printRow(
    `ORT wasm EP, ${threads} thread(s)`,
    ref,
    ref,
    `${workers >= 0 ? `+${workers} OS threads at session start, ` : ''}CPU time / wall ${ref.cpuPerWall.toFixed(2)}`,
  );
  const studio = await loadHfModel(m.dir, { batchSize: 32, maxTokens: plan.maxTokens });
  for (const pref of ['cpu', 'webgpu'] as const) {
    if (!opts.wants(pref)) continue;
    const key = plan.keys[pref];
    let backend: Backend;
    try {
      backend = pref === 'cpu' ? pool : await acquireBackend('webgpu');
    } catch (e) {
      console.log(row([`studio ${pref}: unavailable`, (e as Error).message]));
      if (pref === 'cpu') recordFigure(key, null); // the webgpu key is the browser section's (bench-web.ts)
      continue;
    }
    const soft = pref === 'webgpu' && isSoftwareGpu(backend);
    if (soft && !opts.gpu) {
      console.log(
        row([`studio webgpu (${backend.label})`.slice(0, 33), 'skipped: CPU-emulated; --gpu runs it']),
      );
      backend.destroy();
      continue;
    }
    const nGpu = soft ? env('STM_BENCH_SOFT_GPU_TEXTS', 1) : Infinity;
    const s = await measure(studio, backend, b1.slice(0, nGpu), b32.slice(0, nGpu), tokens);
    const dim = studio.dim;
    const a = agreement(s.emb, ref.emb.subarray(0, s.emb.length), dim);
    printRow(
      `studio ${backend.kind} (${backend.label})`,
      s,
      ref,
      `max |diff| ${a.maxDiff.toExponential(1)}, min cos ${a.minCos.toFixed(6)}`,
    );
    recordFigure(`${plan.kind}_${pref}_sentences_per_s_b1`, s.b1?.sps ?? null);
    recordFigure(`${plan.kind}_${pref}_sentences_per_s_b32`, s.b32?.sps ?? null);
    recordFigure(`${plan.kind}_${pref}_min_cos_vs_ort`, a.minCos);
    if (pref === 'cpu') {
      recordFigure(key, headline(s, ref));
      recordFigure(`${plan.kind}_ort_wasm_sentences_per_s_b1`, ref.b1?.sps ?? null);
      recordFigure(`${plan.kind}_ort_wasm_sentences_per_s_b32`, ref.b32?.sps ?? null);
    } else console.log(row(['ORT WebGPU EP: not in Node', ORT_WEBGPU_NOTE]));
    studio.release(backend);
    if (pref !== 'cpu') backend.destroy();
  }
  pool.destroy();
}

/** why ORT's WebGPU EP is measured in Chromium (bench-web.ts), not here (onnxruntime-web 1.30, npm webgpu) */
export const ORT_WEBGPU_NOTE =
  "no WebGPU EP in ORT's Node entry (its browser builds over npm webgpu hang in run()): the 'browser' section compares in Chromium";

export function minilmPlan(opts: BenchOptions, soft: boolean): ShapePlan {
  return {
    kind: 'minilm',
    title: 'MiniLM-L6-shaped BERT (6 x 384, 12 heads, FFN 1536, vocab 30522)',
    keys: { cpu: 'minilm_cpu_vs_ort_wasm', webgpu: 'minilm_webgpu_vs_ort_webgpu' },
    b1: env('STM_BENCH_MINILM_B1', opts.gpu ? (soft ? 2 : 16) : 32),
    b32: env('STM_BENCH_MINILM_B32', opts.gpu ? (soft ? 2 : 64) : 64),
    maxTokens: env('STM_BENCH_MINILM_TOKENS', soft ? 16 : 128),
  };
}

export function qwen3Plan(opts: BenchOptions): ShapePlan {
  return {
    kind: 'qwen3',
    title: 'Qwen3-0.6B-shaped decoder (28 x 1024, 16/8 heads of 128, FFN 3072, vocab 151936)',
    keys: { cpu: 'qwen3_cpu_vs_ort_wasm', webgpu: 'qwen3_webgpu_vs_ort_webgpu' },
    // ~1 GFLOP a token on a 2-core CPU: a few short texts unless asked for more
    b1: env('STM_BENCH_QWEN3_B1', opts.gpu ? 8 : 2),
    b32: env('STM_BENCH_QWEN3_B32', opts.gpu ? 32 : 0),
    maxTokens: env('STM_BENCH_QWEN3_TOKENS', 32),
  };
}

export async function benchOrt(dataset: Dataset, opts: BenchOptions): Promise<void> {
  const soft = opts.gpu && (await webgpuIsEmulated()) === true;
  if (opts.wants('minilm')) await benchShape(minilmPlan(opts, soft), dataset, opts);
  if (opts.wants('qwen3')) await benchShape(qwen3Plan(opts), dataset, opts);
}
