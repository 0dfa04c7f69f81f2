/**
 * Training throughput (pairs/s: a pair = query + positive + 1 hard negative, InfoNCE with in-batch
 * negatives, backward, clipping, AdamW) for the adapter and the LoRA paths over USE-lite, on the plain-
 * TypeScript reference (CPU backend without WebAssembly), the CPU path (WASM SIMD gemm) and WebGPU,
 * all in the same run on the same pairs (medquad train.jsonl).
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { sharedDatasetsDir } from '../data/node';
import type { Backend } from '../core/backend';
import { MemoryEmbeddingCache, type EmbeddingCache } from '../eval/embed-cache';
import { createCpuBackend } from '../gpu/cpu';
import { acquireBackend } from '../gpu/select';
import { nodeAssetFetcher } from '../models/node-assets';
import { loadUseLite } from '../models/use-lite/model';
import type { UseLiteEmbedder } from '../models/use-lite/model';
import { createAdapterTrainable } from '../train/adapter';
import { parseTrainingPairsFile } from '../train/data';
import { defaultTrainConfig } from '../train/defaults';
import { createLoraTrainable } from '../train/lora';
import { trainRun } from '../train/trainer';
import type { TrainableEmbedder, TrainingPair, TrainMethod } from '../train/types';
import { row, time } from './bench-util';

const env = (k: string, d: number) => Number(process.env[k] ?? d);

/** pairs with one negative: the positive of another pair (a fixed rotation; throughput only) */
async function benchPairs(n: number, passageChars: number): Promise<TrainingPair[]> {
  const file = join(sharedDatasetsDir(), 'medquad', 'train.jsonl');
  const all = parseTrainingPairsFile(await readFile(file), file).slice(0, n);
  const cut = (s: string) => s.slice(0, passageChars);
  return all.map((p, i) => ({
    query: p.query,
    positive: cut(p.positive),
    negatives: [cut(all[(i + 7) % all.length].positive)],
  }));
}

async function stepsPerSecond(
  model: UseLiteEmbedder,
  backend: Backend,
  method: TrainMethod,
  pairs: readonly TrainingPair[],
  batch: number,
  steps: number,
  cache: EmbeddingCache,
): Promise<number> {
  const config = {
    ...defaultTrainConfig(method),
    steps,
    batchSize: batch,
    warmupSteps: 0,
    checkpointEvery: 0,
    devEvery: 0,
  };
  const make = (): TrainableEmbedder =>
    method === 'adapter'
      ? createAdapterTrainable(model, backend, config.adapter, 1, { cache })
      : createLoraTrainable(model, backend, config.lora, 1);
  const run = (trainable: TrainableEmbedder) =>
    trainRun({ runId: 'bench', trainable, pairs, config, templates: model.templates });
  const t = await time(() => run(make()));
  return (steps * batch) / t.s;
}

export async function benchTraining(): Promise<void> {
  const model = await loadUseLite(nodeAssetFetcher());
  const plan = {
    adapter: { pairs: env('STM_BENCH_ADAPTER_PAIRS', 512), batch: 32, steps: 16, chars: 2000 },
    lora: { pairs: 4, batch: 4, steps: env('STM_BENCH_LORA_STEPS', 1), chars: 300 },
  };
  // the adapter trains on frozen base embeddings: compute them once (CPU path, not timed) for every row
  const adapterPairs = await benchPairs(plan.adapter.pairs, plan.adapter.chars);
  const cache = new MemoryEmbeddingCache();
  {
    const warm = createCpuBackend();
    const config = {
      ...defaultTrainConfig('adapter'),
      steps: plan.adapter.pairs / plan.adapter.batch,
      batchSize: plan.adapter.batch,
      warmupSteps: 0,
      checkpointEvery: 0,
      devEvery: 0,
    };
    await trainRun({
      runId: 'warm',
      trainable: createAdapterTrainable(model, warm, config.adapter, 1, { cache }),
      pairs: adapterPairs,
      config,
      templates: model.templates,
    });
    warm.destroy();
  }
  console.log(
    `\nTraining throughput over USE-lite (pairs/s; a pair = query + positive + 1 negative, batch of in-batch negatives)`,
  );
  console.log(
    `adapter: low-rank r16 on frozen (pre-computed) base embeddings, batch 32, 16 steps; LoRA r16 on every linear, batch 4, ${plan.lora.steps} step(s), passages cut to 300 chars`,
  );
  console.log(row(['path', 'adapter p/s', 'x ref', 'LoRA p/s', 'x ref']));
  const ref: Record<TrainMethod, number> = { adapter: 0, lora: 0 };
  const backends: [string, () => Promise<Backend>][] = [
    ['plain TypeScript reference', async () => createCpuBackend({ simd: false })],
    ['cpu', () => acquireBackend('cpu')],
    ['webgpu', () => acquireBackend('webgpu')],
  ];
  for (const [name, make] of backends) {
    let backend: Backend;
    try {
      backend = await make();
    } catch (e) {
      console.log(row([`${name}: unavailable`, (e as Error).message]));
      continue;
    }
    const cells: (string | number)[] = [
      name === 'plain TypeScript reference' ? name : `${backend.kind} (${backend.label})`.slice(0, 33),
    ];
    for (const method of ['adapter', 'lora'] as const) {
      const p = plan[method];
      const pairs = method === 'adapter' ? adapterPairs : await benchPairs(p.batch * p.steps, p.chars);
      const ps = await stepsPerSecond(model, backend, method, pairs, p.batch, p.steps, cache);
      if (name === 'plain TypeScript reference') ref[method] = ps;
      cells.push(ps.toFixed(ps < 10 ? 2 : 1), (ps / ref[method]).toFixed(2));
    }
    console.log(row(cells));
    backend.destroy();
  }
}
