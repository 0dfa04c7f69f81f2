/**
 * The studio against ONNX Runtime Web (what transformers.js runs) on the same random model, same texts,
 * same run: a MiniLM-L6-shaped BERT and a Qwen3-0.6B-shaped decoder (scripts/onnx/bench-models.ts),
 * studio CPU vs ORT's wasm EP multi-threaded (env.wasm.numThreads = the machine's cores) and studio WebGPU
 * vs ORT's WebGPU EP. Sentences/s at batch 1 and batch 32 (texts sorted by length first, so both tools get
 * the same batches), tokens/s, and how far the embeddings are apart (same weights, same math: they must agree).
 */
import { readdirSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { ensureBenchModel, type BenchModelKind } from '../../scripts/onnx/bench-models';
import type { Backend } from '../core/backend';
import type { Dataset } from '../data/types';
import { acquireBackend } from '../gpu/select';
import { loadHfModel } from '../models/hf/load';
import type { Embedder } from '../models/types';
import { loadOrtEmbedderFromFolder } from '../models/ort/node';
import { configureOrt } from '../models/ort/session';
import { recordFigure, type BenchKey } from './bench-report';
import { row, time } from './bench-util';
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

interface Measured {
  /** sentences/s, tokens/s at batch 1 and 32 (null: not measured) */
  readonly b1: { sps: number; tps: number } | null;
  readonly b32: { sps: number; tps: number } | null;
  readonly emb: Float32Array;
  /** CPU time / wall time over the timed runs (> 1: more than one thread worked) */
  readonly cpuPerWall: number;
}

async function measure(
  model: Embedder & { encode?(t: string): number[] },
  backend: Backend,
  b1: readonly string[],
  b32: readonly string[],
  tokens: (t: string) => number,
): Promise<Measured> {
  await model.embed(backend, b1.slice(0, 1), 'query'); // warm-up: weights, pipelines, kernels
  const cpu0 = process.cpuUsage();
  let wall = 0;
  let r1: Measured['b1'] = null;
  if (b1.length) {
    const t = await time(async () => {
      for (const s of b1) await model.embed(backend, [s], 'query');
    });
    wall += t.s;
    r1 = { sps: b1.length / t.s, tps: b1.reduce((a, s) => a + tokens(s), 0) / t.s };
  }
  let r32: Measured['b32'] = null;
  let emb: Float32Array = new Float32Array(0);
  if (b32.length) {
    const t = await time(() => model.embed(backend, b32, 'passage'));
    wall += t.s;
    emb = t.value;
    r32 = { sps: b32.length / t.s, tps: b32.reduce((a, s) => a + tokens(s), 0) / t.s };
  } else emb = await model.embed(backend, b1, 'query');
  const c = process.cpuUsage(cpu0);
  return { b1: r1, b32: r32, emb, cpuPerWall: (c.user + c.system) / 1e6 / wall };
}

/** max |a - b| and the smallest cosine between matching rows */
export function agreement(
  a: Float32Array,
  b: Float32Array,
  dim: number,
): { maxDiff: number; minCos: number } {
  let maxDiff = 0;
  let minCos = 1;
  for (let r = 0; r < a.length / dim; r++) {
    let dot = 0;
    let na = 0;
    let nb = 0;
    for (let d = r * dim; d < (r + 1) * dim; d++) {
      maxDiff = Math.max(maxDiff, Math.abs(a[d] - b[d]));
      dot += a[d] * b[d];
      na += a[d] * a[d];
      nb += b[d] * b[d];
    }
    minCos = Math.min(minCos, dot / Math.sqrt(na * nb));
  }
  return { maxDiff, minCos };
}

const fmt = (x: number | undefined | null) =>
  x == null ? '-' : x >= 100 ? x.toFixed(0) : x >= 1 ? x.toFixed(1) : x.toFixed(3);

function printRow(label: string, m: Measured | null, ref: Measured | null, note = ''): void {
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
const headline = (m: Measured, ref: Measured) =>
  m.b32 && ref.b32 ? m.b32.sps / ref.b32.sps : m.b1 && ref.b1 ? m.b1.sps / ref.b1.sps : null;

async function benchShape(plan: ShapePlan, dataset: Dataset, opts: BenchOptions): Promise<void> {
  if (opts.gpu && plan.kind === 'qwen3' && (await webgpuIsEmulated())) {
    console.log(`\n${plan.title}: skipped, WebGPU here is CPU-emulated (0.6 B parameters would take hours)`);
    return;
  }
  const vocabTexts = [...dataset.queries.map((q) => q.text), ...dataset.docs.map((d) => d.text)];
  const t0 = performance.now();
  const m = ensureBenchModel(plan.kind, vocabTexts, undefined, console.log);
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
      recordFigure(key, null);
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
    } else {
      // ORT's WebGPU EP cannot run in Node here: see ortWebGpuNote
      recordFigure(key, null);
      console.log(row(['ORT WebGPU EP: unavailable', ORT_WEBGPU_NOTE]));
    }
    studio.release(backend);
    if (pref !== 'cpu') backend.destroy();
  }
  pool.destroy();
}

/** why the ORT WebGPU figure is null (checked with onnxruntime-web 1.30 and the `webgpu` npm package) */
export const ORT_WEBGPU_NOTE =
  "ORT's Node entry has no WebGPU EP; its browser builds over the npm webgpu package create a session but run() never returns";

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
