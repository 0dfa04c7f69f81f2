/** Seeded experts of a trained expert's size for the merge benchmark (their values do not change its time). */
import type { LoadedExpert } from '../experts/merge';
import type { ExpertRecord } from '../experts/record';
import type { NativeEmbedder } from '../models/native';
import { DEFAULT_LORA } from '../train/lora';
import { peftName, selectModules } from '../train/lora-modules';
import type { TrainMethod } from '../train/types';
import type { Embedder } from '../models/types';
import { defaultTrainConfig } from '../train/defaults';
import { Rng } from '../util/rng';

function benchRecord(base: Embedder, seed: number, method: TrainMethod): ExpertRecord {
  return {
    id: `bench-${method}-${seed}`,
    name: `expert ${seed}`,
    baseModel: base.id,
    method,
    config: { ...defaultTrainConfig(method), adapter: { kind: 'full', rank: 0 } },
    data: { source: 'bench', pairs: 0, negatives: 'none' },
    templates: base.templates,
    createdAt: new Date(0).toISOString(),
    history: [],
  };
}

/** A full adapter W = I + 0.02·N(0,1), b = 0.01·N(0,1) over `base`, as a loaded expert. */
export function adapterExpertRecordFor(base: Embedder, seed: number): LoadedExpert {
  const d = base.dim;
  const rng = new Rng(seed);
  const w = new Float32Array(d * d);
  for (let i = 0; i < w.length; i++) w[i] = 0.02 * rng.normal();
  for (let i = 0; i < d; i++) w[i * d + i] += 1;
  const b = Float32Array.from({ length: d }, () => 0.01 * rng.normal());
  return {
    record: benchRecord(base, seed, 'adapter'),
    weights: new Map([
      ['adapter.W', { shape: [d, d], data: w }],
      ['adapter.b', { shape: [d], data: b }],
    ]),
  };
}

/** A LoRA expert of rank `rank` on every linear of `base` (A ~ U(±1/√in), B ~ U(±0.02)), as a loaded expert. */
export function loraExpertFor(base: NativeEmbedder, seed: number, rank = 16): LoadedExpert {
  const rng = new Rng(seed);
  const lora = { ...DEFAULT_LORA, rank, alpha: 2 * rank };
  const weights = new Map<string, { shape: number[]; data: Float32Array }>();
  for (const m of selectModules(base.linears, lora.targetModules)) {
    const a = 1 / Math.sqrt(m.inDim);
    const A = Float32Array.from({ length: rank * m.inDim }, () => (2 * rng.next() - 1) * a);
    const B = Float32Array.from({ length: m.outDim * rank }, () => (2 * rng.next() - 1) * 0.02);
    weights.set(peftName(m.path, 'A'), { shape: [rank, m.inDim], data: A });
    weights.set(peftName(m.path, 'B'), { shape: [m.outDim, rank], data: B });
  }
  return {
    record: { ...benchRecord(base, seed, 'lora'), config: { ...defaultTrainConfig('lora'), lora } },
    weights,
  };
}
