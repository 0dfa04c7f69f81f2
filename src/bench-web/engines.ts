/**
 * The two engines of the comparison page, each run on its own (the Node driver gives each a fresh page):
 * ONNX Runtime Web's WebGPU EP on the ONNX export (in the page; ORT's hidden states pooled and normalised
 * by the studio's CPU kernels, as in the Node bench) and the studio's WebGPU backend on the safetensors
 * (in a dedicated worker, studio-worker.ts, where the weights are read tensor by tensor with Range
 * requests: range-source.ts). Each engine gets one warm-up text, an untimed pass over the texts, then the
 * timed pass: the batch-1 texts one at a time and the batch-32 texts in one call.
 */
import { acquireBackend } from '../gpu/select';
import { adapterFacts, softwareRenderer } from '../gpu/software';
import { HfEmbedder } from '../models/hf/embedder';
import { resolveWeightFormat } from '../models/hf/fit';
import { loadOrtEmbedder } from '../models/ort/embedder';
import { configureOrt, ort } from '../models/ort/session';
import { timeEmbeddings, warmUp, type Timed } from './measure';
import type { WebAdapter, WebBenchRequest, WebEngineRun } from './protocol';
import { openRangeModel } from './range-source';

const POWER: GPUPowerPreference = 'high-performance';

export async function adapter(): Promise<WebAdapter | null> {
  const a = await navigator.gpu?.requestAdapter({ powerPreference: POWER });
  if (!a) return null;
  const f = adapterFacts(a);
  const label = [f.vendor, f.architecture, f.description].filter(Boolean).join(' ') || 'unknown adapter';
  return { label, software: softwareRenderer(f), shaderF16: a.features.has('shader-f16') };
}

const seconds = (t0: number) => (performance.now() - t0) / 1000;

/**
 * One untimed pass over the same texts first, then the timed pass: both engines compile shape-specific
 * shaders on first sight of a (batch, length) shape (seconds each on SwiftShader), which would otherwise
 * be timed as inference. The untimed pass leaves out the batch-1 text the warm-up already embedded.
 */
async function timeWarm(
  log: (s: string) => void,
  warmedWith: string | null,
  ...args: Parameters<typeof timeEmbeddings>
): Promise<Timed> {
  const [model, backend, b1, b32, tokens] = args;
  const rest = b1.filter((t) => t !== warmedWith);
  if (rest.length || b32.length) {
    const t0 = performance.now();
    await timeEmbeddings(model, backend, rest, b32, tokens);
    log(`  untimed pass: ${seconds(t0).toFixed(1)} s`);
  }
  const t0 = performance.now();
  const timed = await timeEmbeddings(...args);
  log(`  timed pass: ${seconds(t0).toFixed(1)} s`);
  return timed;
}

/** The texts in the order the engine embeds them, and their token counts (see WebBenchRequest.tokens). */
function texts(req: WebBenchRequest, count: (t: string) => number) {
  if (req.tokens) {
    const { b1, b32 } = req.tokens;
    if (b1.length !== req.b1.length || b32.length !== req.b32.length)
      throw new Error('tokens: one count per text expected');
    const n = new Map<string, number>();
    req.b1.forEach((t, i) => n.set(t, b1[i]));
    req.b32.forEach((t, i) => n.set(t, b32[i]));
    return { b1: [...req.b1], b32: [...req.b32], tokens: (t: string) => n.get(t) ?? count(t) };
  }
  const b32 = [...req.b32].sort((a, b) => count(a) - count(b));
  return { b1: [...req.b1], b32, tokens: count };
}

const run = (
  ad: WebAdapter,
  label: string,
  loadS: number,
  t: Timed,
  dim: number,
  x: ReturnType<typeof texts>,
): WebEngineRun => ({
  adapter: ad,
  result: { label, b1: t.b1, b32: t.b32, loadS },
  emb: Array.from(t.emb),
  dim,
  b32: x.b32,
  tokens: { b1: x.b1.map(x.tokens), b32: x.b32.map(x.tokens) },
});

/** ORT's WebGPU EP on `req.model`'s onnx/model.onnx (in the page). */
export async function runOrt(req: WebBenchRequest, log: (s: string) => void): Promise<WebEngineRun> {
  const ad = await adapter();
  if (!ad) throw new Error('this browser has no WebGPU adapter');
  const base = new URL(req.model.replace(/\/?$/, '/'), location.href);
  const fetchAsset = async (path: string): Promise<ArrayBuffer> => {
    const res = await fetch(new URL(path, base));
    if (!res.ok) throw new Error(`${path}: HTTP ${res.status}`);
    return res.arrayBuffer();
  };
  await configureOrt();
  ort.env.webgpu.powerPreference = POWER;
  log(`ORT webgpu EP: loading ${req.model}`);
  const t0 = performance.now();
  const onnx = await loadOrtEmbedder(fetchAsset, {
    id: req.model,
    executionProviders: ['webgpu'],
    batchSize: 32,
    maxTokens: req.maxTokens,
    externalData: req.externalData.map((e) => ({ path: e.path, data: new URL(e.url, location.href).href })),
  });
  const loadS = seconds(t0);
  const x = texts(req, (t) => onnx.encode(t).length);
  const pool = await acquireBackend('cpu'); // pools ORT's hidden states (the studio's kernel)
  try {
    log(`ORT webgpu EP: loaded in ${loadS.toFixed(1)} s; timing`);
    const o = await timeWarm(log, null, onnx, pool, x.b1, x.b32, x.tokens);
    const dim = o.emb.length / (x.b32.length || x.b1.length);
    return run(ad, 'ORT webgpu EP (f32 ONNX)', loadS, o, dim, x);
  } finally {
    await onnx.dispose();
    pool.destroy();
  }
}

/**
 * The studio's WebGPU backend on `req.model`'s safetensors, read tensor by tensor with Range requests
 * (synchronous reads: call it in a dedicated worker). The load time counts the weights' upload and the
 * first text's pass (pipelines compiled), as the weights are uploaded on first use.
 */
export async function runStudio(req: WebBenchRequest, log: (s: string) => void): Promise<WebEngineRun> {
  const ad = await adapter();
  if (!ad) throw new Error('this browser has no WebGPU adapter');
  const base = new URL(req.model.replace(/\/?$/, '/'), location.href);
  log(`studio webgpu: loading ${req.model}`);
  const t0 = performance.now();
  const opts = { batchSize: 32, maxTokens: req.maxTokens, weightFormat: req.weightFormat ?? 'auto' };
  const studio = await HfEmbedder.create(await openRangeModel(base.href), opts);
  const gpu = await acquireBackend('webgpu', { powerPreference: POWER });
  try {
    const x = texts(req, (t) => studio.tokenize([t])[0].length);
    const first = x.b1[0] ?? x.b32[0];
    await warmUp(studio, gpu, first); // uploads the weights, compiles the first shapes' pipelines
    const loadS = seconds(t0);
    log(`studio webgpu: loaded in ${loadS.toFixed(1)} s; timing`);
    const s = await timeWarm(log, first, studio, gpu, x.b1, x.b32, x.tokens);
    const format = resolveWeightFormat(studio.weightFormat, 'webgpu');
    const half = format === 'f16' ? (ad.shaderF16 ? ', shader-f16' : ', packed halves') : '';
    return run(ad, `studio ${gpu.label} (${format} weights${half})`, loadS, s, studio.dim, x);
  } finally {
    studio.release(gpu);
    gpu.destroy();
  }
}
