/**
 * Merge + re-score time (what one slider move in the Merge panel costs): 3 USE-lite experts (full adapters;
 * LoRA r16 on every linear, whose merge re-embeds the pool's documents) merged by TIES
 * and scored on the medquad dev pool, on WebGPU and the CPU path, beside the plain-TypeScript path (the
 * merge's CPU reference, mergeTensor, and the CPU backend without WebAssembly) in the same run.
 * The experts' weights are seeded random task vectors of a trained expert's size: the time of a merge does
 * not depend on what the weights learnt. The pool (judged documents ∪ the base's and each expert's top-k) is
 * built once, outside the timing, as the panel does.
 */
import type { Backend } from '../core/backend';
import type { Dataset } from '../data/types';
import { buildDevPool, type DevPool, scoreOnPool } from '../eval/dev-pool';
import { MemoryEmbeddingCache, type EmbeddingCache } from '../eval/embed-cache';
import { FileEmbeddingCache } from '../eval/embed-cache-node';
import { mergeAdapterExperts, mergeLoraExperts, type LoadedExpert } from '../experts/merge';
import { createCpuBackend } from '../gpu/cpu';
import { acquireBackend } from '../gpu/select';
import type { MergeRecipe } from '../merge/recipe';
import { nodeAssetFetcher } from '../models/node-assets';
import type { Embedder } from '../models/types';
import { loadUseLite, type UseLiteEmbedder } from '../models/use-lite/model';
import { adapterExpertRecordFor, loraExpertFor } from './bench-merge-experts';
import { loadMergedLora } from '../train/lora-merged';
import { weightsToDeltas } from '../train/lora-deltas';
import { adapterEmbedder } from '../train/adapter';
import { row, time } from './bench-util';

const env = (k: string, d: number) => Number(process.env[k] ?? d);

export interface MergeBenchCase {
  label: string;
  /** merges by the recipe on `be` (undefined: the plain-TypeScript reference) and returns the merged model */
  merge(recipe: MergeRecipe, be: Backend | undefined): Promise<Embedder>;
  experts: LoadedExpert[];
  /** timed runs after a warm-up (median taken); 1: a single run without warm-up (a LoRA re-embeds the pool) */
  repeats?: number;
}

function adapterCase(base: UseLiteEmbedder, cache: EmbeddingCache): MergeBenchCase {
  const experts = [1, 2, 3].map((seed) => adapterExpertRecordFor(base, seed));
  return {
    label: 'adapters (full 512×512)',
    experts,
    async merge(recipe, be) {
      const w = await mergeAdapterExperts(recipe, experts, base.dim, be);
      return adapterEmbedder(base, { kind: 'full', rank: 0 }, { host: w }, 'merged', cache);
    },
  };
}

function loraCase(base: UseLiteEmbedder): MergeBenchCase {
  const experts = [1, 2, 3].map((seed) => loraExpertFor(base, seed));
  let last: { release(): void } | null = null;
  return {
    label: 'LoRA r16, all linears',
    experts,
    repeats: 1,
    async merge(recipe, be) {
      last?.release();
      const w = await mergeLoraExperts(recipe, experts, base, be);
      const m = loadMergedLora(base, weightsToDeltas(w, base.linears), 'merged');
      last = m;
      return m;
    },
  };
}

function tiesRecipe(c: MergeBenchCase): MergeRecipe {
  return {
    method: 'ties',
    baseModel: 'use-lite',
    experts: c.experts.map((e, i) => ({
      id: e.record.id,
      name: e.record.name,
      params: { weight: [0.5, 0.3, 0.2][i], density: 0.5 },
    })),
    options: {},
  };
}

async function timeCase(c: MergeBenchCase, pool: DevPool, be: Backend, reference: boolean): Promise<number> {
  const recipe = tiesRecipe(c);
  const once = async () => {
    const merged = await c.merge(recipe, reference ? undefined : be);
    return scoreOnPool(pool, merged, be);
  };
  const repeats = c.repeats ?? 3;
  if (repeats === 1) return (await time(once)).s;
  await once(); // warm-up: pipelines, uploads
  const runs: number[] = [];
  for (let i = 0; i < repeats; i++) runs.push((await time(once)).s);
  return runs.sort((a, b) => a - b)[Math.floor(repeats / 2)];
}

export async function benchMerge(medquad: Dataset): Promise<void> {
  const base = await loadUseLite(nodeAssetFetcher());
  // STM_BENCH_CACHE=<file>: keep the base's corpus vectors between runs (building the pool embeds the corpus)
  const file = process.env.STM_BENCH_CACHE;
  const poolCache: EmbeddingCache = file ? await FileEmbeddingCache.open(file) : new MemoryEmbeddingCache();
  // the adapters' cache of base vectors per text (what the panel keeps across slider moves)
  const cache = new MemoryEmbeddingCache();
  const cases = [adapterCase(base, cache), loraCase(base)];
  const k = env('STM_BENCH_POOL_K', 20);
  const build = createCpuBackend();
  // the pool: base and the adapter experts' top-k (built once, not timed)
  const embedders = [
    base,
    ...cases[0].experts.map((e, i) =>
      adapterEmbedder(base, { kind: 'full', rank: 0 }, { host: e.weights }, `e${i}`, cache),
    ),
  ];
  const tPool = await time(() =>
    buildDevPool({ dataset: medquad, split: 'dev', embedders, backend: build, k, cache: poolCache }),
  );
  const pool = tPool.value;
  if (poolCache instanceof FileEmbeddingCache) await poolCache.flush();
  // the base's vectors of every pool text, as the panel holds them before the first slider move (else the
  // plain-TypeScript path's warm-up would embed the whole pool with the un-accelerated backend)
  await scoreOnPool(pool, embedders[1], build);
  build.destroy();
  console.log(
    `\nMerge + re-score: TIES of 3 USE-lite experts, scored on the medquad dev pool (${pool.queries.length} queries, ${pool.docs.length} docs, k=${k}; built once in ${tPool.s.toFixed(1)} s); median of 3, seconds`,
  );
  console.log(row(['path', ...cases.flatMap((c) => [c.label.slice(0, 13), 'x ref'])]));
  const ref: number[] = [];
  const paths: [string, () => Promise<Backend>, boolean][] = [
    ['plain TypeScript reference', async () => createCpuBackend({ simd: false }), true],
    ['cpu', () => acquireBackend('cpu'), false],
    ['webgpu', () => acquireBackend('webgpu'), false],
  ];
  for (const [name, make, reference] of paths) {
    let be: Backend;
    try {
      be = await make();
    } catch (e) {
      console.log(row([`${name}: unavailable`, (e as Error).message]));
      continue;
    }
    const cells: string[] = [reference ? name : `${be.kind} (${be.label})`.slice(0, 33)];
    for (const [i, c] of cases.entries()) {
      const s = await timeCase(c, pool, be, reference);
      if (reference) ref[i] = s;
      cells.push(s.toFixed(3), (ref[i] / s).toFixed(2));
    }
    console.log(row(cells));
    be.destroy();
  }
}
