/**
 * The in-browser comparison page (not part of the studio: built on its own by src/cli/bench-browser.ts into
 * the bench cache, never into dist/): the studio's WebGPU backend against ONNX Runtime Web's WebGPU EP on
 * the same model folder (safetensors for the studio, onnx/model.onnx for ORT), the same texts and batches.
 * ORT's hidden states are pooled and normalised by the studio's CPU kernels, as in the Node bench; each
 * engine gets one warm-up text, then the batch-1 texts one at a time and the batch-32 texts in one call.
 * The Node driver calls window.stmBench.run() through Playwright; progress goes to the console.
 */
import { acquireBackend } from '../gpu/select';
import { adapterFacts, softwareRenderer } from '../gpu/software';
import { resolveWeightFormat } from '../models/hf/fit';
import { loadHfModel } from '../models/hf/load';
import { loadOrtEmbedder } from '../models/ort/embedder';
import { configureOrt, ort } from '../models/ort/session';
import { agreement, timeEmbeddings, warmUp, type Timed } from './measure';
import type { WebAdapter, WebBenchApi, WebBenchRequest, WebBenchResult } from './protocol';

const POWER: GPUPowerPreference = 'high-performance';

async function adapter(): Promise<WebAdapter | null> {
  const a = await navigator.gpu?.requestAdapter({ powerPreference: POWER });
  if (!a) return null;
  const f = adapterFacts(a);
  const label = [f.vendor, f.architecture, f.description].filter(Boolean).join(' ') || 'unknown adapter';
  return { label, software: softwareRenderer(f), shaderF16: a.features.has('shader-f16') };
}

const seconds = (t0: number) => (performance.now() - t0) / 1000;
const mean = (xs: number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : 0);

/**
 * One untimed pass over the same texts first, then the timed pass: both engines compile shape-specific
 * shaders on first sight of a (batch, length) shape (seconds each on SwiftShader), which would otherwise
 * be timed as inference.
 */
async function timeWarm(
  warmedWith: string | null,
  ...args: Parameters<typeof timeEmbeddings>
): Promise<Timed> {
  const [, , b1, b32] = args;
  // a lone batch-1 text already embedded by the warm-up needs no second untimed pass
  if (!(b32.length === 0 && b1.length === 1 && b1[0] === warmedWith)) {
    const t0 = performance.now();
    await timeEmbeddings(...args);
    console.log(`  untimed pass: ${seconds(t0).toFixed(1)} s`);
  }
  return timeEmbeddings(...args);
}

async function run(req: WebBenchRequest): Promise<WebBenchResult> {
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
  console.log(`ORT webgpu EP: loading ${req.model}`);
  let t0 = performance.now();
  const onnx = await loadOrtEmbedder(fetchAsset, {
    id: req.model,
    executionProviders: ['webgpu'],
    batchSize: 32,
    maxTokens: req.maxTokens,
    externalData: req.externalData.map((e) => ({ path: e.path, data: new URL(e.url, location.href).href })),
  });
  const ortLoadS = seconds(t0);
  const tokens = (t: string) => onnx.encode(t).length;
  const b1 = [...req.b1];
  const b32 = [...req.b32].sort((a, b) => tokens(a) - tokens(b));
  const pool = await acquireBackend('cpu'); // pools ORT's hidden states (the studio's kernel)
  try {
    console.log(`ORT webgpu EP: loaded in ${ortLoadS.toFixed(1)} s; timing`);
    const o = await timeWarm(null, onnx, pool, b1, b32, tokens);
    await onnx.dispose();

    console.log(`studio webgpu: loading ${req.model}`);
    t0 = performance.now();
    const studio = await loadHfModel(base.href, {
      batchSize: 32,
      maxTokens: req.maxTokens,
      cache: false,
      weightFormat: req.weightFormat ?? 'auto',
    });
    const gpu = await acquireBackend('webgpu', { powerPreference: POWER });
    try {
      const first = b1[0] ?? b32[0];
      await warmUp(studio, gpu, first); // uploads the weights, compiles the first shapes' pipelines
      const studioLoadS = seconds(t0);
      console.log(`studio webgpu: loaded in ${studioLoadS.toFixed(1)} s; timing`);
      const s = await timeWarm(first, studio, gpu, b1, b32, tokens);
      const a = agreement(s.emb, o.emb, studio.dim);
      const format = resolveWeightFormat(studio.weightFormat, 'webgpu');
      const half = format === 'f16' ? (ad.shaderF16 ? ', shader-f16' : ', packed halves') : '';
      return {
        adapter: ad,
        ort: { label: 'ORT webgpu EP (f32 ONNX)', b1: o.b1, b32: o.b32, loadS: ortLoadS },
        studio: {
          label: `studio ${gpu.label} (${format} weights${half})`,
          b1: s.b1,
          b32: s.b32,
          loadS: studioLoadS,
        },
        dim: studio.dim,
        compared: s.emb.length / studio.dim,
        ...a,
        avgTokensB1: mean(b1.map(tokens)),
        avgTokensB32: mean(b32.map(tokens)),
      };
    } finally {
      studio.release(gpu);
      gpu.destroy();
    }
  } finally {
    pool.destroy();
  }
}

const api: WebBenchApi = { adapter, run };
(globalThis as { stmBench?: WebBenchApi }).stmBench = api;
document.title = 'stm bench: ready';
