/**
 * Merging embedding-space adapters (src/train/adapter.ts). Every adapter is read as the full map
 * e' = l2norm(W·e + b): a full adapter as it is, a low-rank one as W = I + B·A, b = 0. The base of the task
 * vectors is the identity adapter (W = I, b = 0: the base model itself), so δ_W = W − I and δ_b = b, and a
 * merge is one D×D matrix and one bias — cheap, and scored over cached base embeddings.
 */
import type { Backend } from '../core/backend';
import type { AdapterConfig } from '../train/types';
import { mergeTensorOnBackend } from './merge-backend';
import { checkRecipe, recipeTensorParams, type MergeRecipe } from './recipe';
import { mergeTensor } from './registry';
import { MergeError, type NamedTensor } from './types';

export type AdapterWeights = ReadonlyMap<string, { shape: readonly number[]; data: Float32Array }>;

/** The identity adapter of dimension dim: W = I, b = 0 (what "no adapter" is). */
export function identityAdapter(dim: number): NamedTensor[] {
  const w = new Float32Array(dim * dim);
  for (let i = 0; i < dim; i++) w[i * dim + i] = 1;
  return [
    { name: 'adapter.W', shape: [dim, dim], data: w },
    { name: 'adapter.b', shape: [dim], data: new Float32Array(dim) },
  ];
}

function tensor(weights: AdapterWeights, name: string, shape: number[], who: string): Float32Array {
  const t = weights.get(name);
  if (!t) throw new MergeError(`${who}: adapter tensor "${name}" is missing`);
  const n = shape.reduce((a, b) => a * b, 1);
  if (t.data.length !== n || t.shape.length !== shape.length || t.shape.some((d, i) => d !== shape[i]))
    throw new MergeError(
      `${who}: adapter tensor "${name}" has shape [${t.shape.join(',')}], expected [${shape.join(',')}] (all experts must share the base model)`,
    );
  return t.data;
}

/** An adapter's weights as the full adapter (W [dim, dim], b [dim]) it computes. */
export function adapterAsFull(
  cfg: AdapterConfig,
  dim: number,
  weights: AdapterWeights,
  who: string,
): NamedTensor[] {
  if (cfg.kind === 'full') {
    return [
      { name: 'adapter.W', shape: [dim, dim], data: tensor(weights, 'adapter.W', [dim, dim], who) },
      { name: 'adapter.b', shape: [dim], data: tensor(weights, 'adapter.b', [dim], who) },
    ];
  }
  const r = cfg.rank;
  const a = tensor(weights, 'adapter.A', [r, dim], who); // [r, dim]
  const b = tensor(weights, 'adapter.B', [dim, r], who); // [dim, r]
  const w = new Float32Array(dim * dim);
  for (let i = 0; i < dim; i++) {
    const row = i * dim;
    w[row + i] = 1;
    for (let k = 0; k < r; k++) {
      const bik = b[i * r + k];
      if (bik === 0) continue;
      const ak = k * dim;
      for (let j = 0; j < dim; j++) w[row + j] += bik * a[ak + j];
    }
  }
  return [
    { name: 'adapter.W', shape: [dim, dim], data: w },
    { name: 'adapter.b', shape: [dim], data: new Float32Array(dim) },
  ];
}

export interface AdapterExpert {
  name: string;
  config: AdapterConfig;
  weights: AdapterWeights;
}

/**
 * Merges adapters by `recipe` (experts in recipe order) into one full adapter (adapter.W, adapter.b).
 * With a backend, the task-arithmetic family mixes on it (mergeMix); without, on the CPU reference.
 */
export async function mergeAdapters(
  recipe: MergeRecipe,
  experts: readonly AdapterExpert[],
  dim: number,
  be?: Backend,
): Promise<Map<string, { shape: number[]; data: Float32Array }>> {
  checkRecipe(recipe);
  if (experts.length !== recipe.experts.length)
    throw new MergeError(
      `${recipe.method}: the recipe names ${recipe.experts.length} experts, ${experts.length} given`,
    );
  const full = experts.map((e) => adapterAsFull(e.config, dim, e.weights, `expert "${e.name}"`));
  const base = identityAdapter(dim);
  const out = new Map<string, { shape: number[]; data: Float32Array }>();
  for (const [i, b] of base.entries()) {
    const ts = full.map((f) => f[i]);
    // per-layer values: an adapter has no layers, so only name filters ("W", "b") and plain values apply
    const { models, options } = recipeTensorParams(recipe, b.name, 0);
    const t = be
      ? await mergeTensorOnBackend(be, recipe.method, b, ts, models, options)
      : mergeTensor(recipe.method, b, ts, models, options);
    out.set(t.name, { shape: t.shape, data: t.data });
  }
  return out;
}
