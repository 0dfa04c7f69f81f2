/**
 * npm run bench: GloVe on ../shared/datasets/medquad — corpus embedding docs/s and exact top-k
 * ms/query on the WebGPU and CPU backends, each beside the plain-TypeScript reference timed in the
 * same run; then USE-lite corpus embedding on the CPU and WebGPU paths beside the TF.js reference
 * runtime; training throughput (adapter and LoRA) beside a plain-TypeScript reference step; merge + re-score
 * time on the medquad dev pool beside the plain-TypeScript merge; a MiniLM-L6-shaped and a Qwen3-0.6B-shaped
 * model beside ONNX Runtime Web (bench-ort.ts; the WebGPU EP in Chromium: bench-web.ts); the linear kernel's GFLOP/s (bench-linear.ts); LoRA steps/s
 * on the Qwen3 shape (bench-lora.ts); and peak memory. Ratios > 1 mean faster than the reference.
 * Options (bench-args.ts): --json, --gpu, --only glove,use,train,merge,minilm,qwen3,linear,lora,browser.
 */
import { exitAfterDrain } from './exit';
import { join } from 'node:path';
import { loadBeirDir, sharedDatasetsDir } from '../data/node';
import type { Backend } from '../core/backend';
import { acquireBackend } from '../gpu/select';
import { searchTopK } from '../kernels/search';
import { GloveEmbedder } from '../models/glove';
import { gloveEmbedReference, topKReference } from '../models/glove-reference';
import { nodeAssetFetcher } from '../models/node-assets';
import { applyTemplate } from '../models/types';
import { benchUseLite } from './bench-use';
import { recordFigure } from './bench-report';
import { benchTraining } from './bench-train';
import { benchMerge } from './bench-merge';
import { peakRssMiB, row, sampleMemory, time } from './bench-util';
import type { Dataset } from '../data/types';
import { parseBenchArgs, webgpuIsEmulated, type BenchOptions } from './bench-args';
import { benchOrt } from './bench-ort';
import { benchWeb } from './bench-web';
import { benchLinear } from './bench-linear';
import { benchLoraQwen3 } from './bench-lora';
import { benchFigures, benchJsonLine } from './bench-report';

const K = 100;
const timer = setInterval(sampleMemory, 20);

async function benchGlove(dataset: Dataset): Promise<void> {
  const model = await GloveEmbedder.load(nodeAssetFetcher());
  const texts = dataset.docs.map((d) => applyTemplate(model.templates.passage, d));
  const queries = dataset.queries.map((q) => applyTemplate(model.templates.query, q));
  const nQ = Math.min(queries.length, Number(process.env.STM_BENCH_QUERIES ?? 200));
  console.log(`GloVe ${model.dim}d on medquad: ${texts.length} docs, top-${K} for ${nQ} queries`);

  const refEmbed = await time(() => gloveEmbedReference(model, texts));
  const qEmb = gloveEmbedReference(model, queries.slice(0, nQ));
  const refTop = await time(() => topKReference(qEmb, refEmbed.value, model.dim, K));
  const refDocsPerS = texts.length / refEmbed.s;
  const refMsPerQ = (refTop.s * 1000) / nQ;
  console.log(row(['path', 'docs/s', 'x ref', 'top-k ms/q', 'x ref']));
  console.log(
    row(['plain TypeScript reference', refDocsPerS.toFixed(0), '1.00', refMsPerQ.toFixed(2), '1.00']),
  );

  for (const pref of ['webgpu', 'cpu'] as const) {
    let backend: Backend;
    try {
      backend = await acquireBackend(pref);
    } catch (e) {
      console.log(row([`${pref}: unavailable`, (e as Error).message]));
      continue;
    }
    await model.embed(backend, texts.slice(0, 64), 'passage'); // warm-up: table upload, pipelines
    const emb = await time(() => model.embed(backend, texts, 'passage'));
    await searchTopK(backend, qEmb.subarray(0, model.dim), emb.value, model.dim, K); // warm-up
    const top = await time(() => searchTopK(backend, qEmb, emb.value, model.dim, K, { metric: 'dot' }));
    let maxDiff = 0;
    for (let i = 0; i < emb.value.length; i++)
      maxDiff = Math.max(maxDiff, Math.abs(emb.value[i] - refEmbed.value[i]));
    const docsPerS = texts.length / emb.s;
    const msPerQ = (top.s * 1000) / nQ;
    if (pref === 'cpu') recordFigure('glove_cpu_vs_plain', docsPerS / refDocsPerS);
    console.log(
      row([
        `${backend.kind} (${backend.label})`.slice(0, 33),
        docsPerS.toFixed(0),
        (docsPerS / refDocsPerS).toFixed(2),
        msPerQ.toFixed(2),
        (refMsPerQ / msPerQ).toFixed(2),
      ]) + `max |emb - ref| ${maxDiff.toExponential(1)}`,
    );
    backend.destroy();
  }
  console.log(
    `peak memory so far: rss ${peakRssMiB().toFixed(0)} MiB (includes the ${(model.vectors.byteLength / 2 ** 20).toFixed(0)} MiB f32 GloVe table)`,
  );
}

/** --gpu: one table of the GPU figures (and whether they are CPU-emulated) */
function printGpuTable(): void {
  const f = benchFigures();
  const emulated = f.webgpu_emulated === 1 || f.webgpu_browser_emulated === 1;
  console.log(`\nGPU figures${emulated ? ' (CPU-EMULATED: SwiftShader, not a real GPU; sizes cut)' : ''}`);
  const rows: [string, string][] = [
    ['USE-lite webgpu vs TF.js', 'use_lite_webgpu_vs_tfjs'],
    ['MiniLM-shape webgpu sent/s b1', 'minilm_webgpu_sentences_per_s_b1'],
    ['MiniLM-shape webgpu sent/s b32', 'minilm_webgpu_sentences_per_s_b32'],
    ['MiniLM-shape webgpu vs ORT webgpu', 'minilm_webgpu_vs_ort_webgpu'],
    ['Qwen3-shape webgpu sent/s b1', 'qwen3_webgpu_sentences_per_s_b1'],
    ['Qwen3-shape webgpu sent/s b32', 'qwen3_webgpu_sentences_per_s_b32'],
    ['Qwen3-shape webgpu vs ORT webgpu', 'qwen3_webgpu_vs_ort_webgpu'],
    ['Chromium WebGPU adapter (vs ORT)', 'webgpu_browser_adapter'],
    ['linear GFLOP/s webgpu', 'linear_gflops_webgpu'],
    ['device f32 peak GFLOP/s', 'webgpu_peak_gflops'],
    ['LoRA steps/s webgpu (Qwen3 shape)', 'lora_steps_per_s_webgpu'],
  ];
  const show = (v: number | string | null | undefined) =>
    typeof v === 'number' ? String(Number(v.toPrecision(4))) : (v ?? 'n/a');
  for (const [label, key] of rows) console.log(row([label, show(f[key])]));
}

async function main(opts: BenchOptions): Promise<void> {
  const dataset = await loadBeirDir(join(sharedDatasetsDir(), 'medquad'));
  if (opts.wants('glove')) await benchGlove(dataset);
  if (opts.gpu && (await webgpuIsEmulated())) {
    // --gpu on SwiftShader: USE-lite's WebGPU path runs ~0.05 docs/s there; keep the run short
    process.env.STM_BENCH_USE_GPU_DOCS ??= '2';
    process.env.STM_BENCH_USE_DOCS ??= '64';
  }
  if (opts.wants('use')) await benchUseLite(dataset);
  if (opts.wants('train')) await benchTraining();
  if (opts.wants('merge')) await benchMerge(dataset);
  await benchOrt(dataset, opts);
  if (opts.wants('browser')) await benchWeb(dataset, opts);
  if (opts.wants('linear')) await benchLinear(opts);
  if (opts.wants('lora')) await benchLoraQwen3(dataset, opts);
  clearInterval(timer);
  console.log(`peak memory: rss ${peakRssMiB().toFixed(0)} MiB`);
  if (opts.gpu) printGpuTable();
  if (opts.json) console.log(benchJsonLine());
}

main(parseBenchArgs(process.argv.slice(2))).then(
  () => exitAfterDrain(0),
  (e: unknown) => {
    console.error(e);
    return exitAfterDrain(1);
  },
);
