/**
 * A merged LoRA model (src/merge/lora-merge.ts makes the deltas): per adapted linear one dense ΔW [out, in]
 * (PyTorch / PEFT layout), folded into the weights the engine runs, W' = W + ΔW, uploaded once per backend.
 * The embedder is the base's one forward (embedNative) with a Linear source that serves W' for the merged
 * modules and the base's own weights for the rest: no low-rank path, no copy of any forward.
 *
 * Exports:
 *   - ModuleDeltas: Map<module path, ΔW [out, in]>.
 *   - mergedLinear(base, folded, layout): the Linear source over uploaded folded weights.
 *   - foldDelta(host, module, delta): W + ΔW in the model's layout (host).
 *   - loadMergedLora(base, deltas, id): the Embedder of a merged LoRA model.
 *   - deltaName / deltasToWeights / weightsToDeltas / isDeltaWeights: how a merged LoRA expert stores its
 *     deltas as safetensors tensors ("base_model.model.<path>.merged_delta.weight" [out, in]), with checks.
 */
import type { Backend } from '../core/backend';
import { plainLinear, type LinearWeights } from '../nn/linear';
import type { Linear, LinearModule } from '../nn/ops';
import { HfEmbedder } from '../models/hf/embedder';
import { embedNative, type HostLinear, type NativeEmbedder } from '../models/native';
import { UseLiteEmbedder } from '../models/use-lite/model';
import type { Embedder, Role } from '../models/types';

/** ΔW per module path, [out, in] row-major. */
export type ModuleDeltas = ReadonlyMap<string, Float32Array>;

const DELTA_PREFIX = 'base_model.model.';
const DELTA_SUFFIX = '.merged_delta.weight';

/** The safetensors name of a module's merged ΔW. */
export const deltaName = (path: string) => `${DELTA_PREFIX}${path}${DELTA_SUFFIX}`;

/** true when every tensor of `weights` is a merged ΔW (a merged LoRA expert, not PEFT A/B pairs) */
export function isDeltaWeights(weights: ReadonlyMap<string, unknown>): boolean {
  if (weights.size === 0) return false;
  for (const n of weights.keys()) if (!n.startsWith(DELTA_PREFIX) || !n.endsWith(DELTA_SUFFIX)) return false;
  return true;
}

/** Deltas as named tensors ([out, in] each) for a safetensors file, in the model's module order. */
export function deltasToWeights(
  deltas: ModuleDeltas,
  modules: readonly LinearModule[],
): Map<string, { shape: number[]; data: Float32Array }> {
  const out = new Map<string, { shape: number[]; data: Float32Array }>();
  for (const m of modules) {
    const d = deltas.get(m.path);
    if (d) out.set(deltaName(m.path), { shape: [m.outDim, m.inDim], data: d });
  }
  if (out.size !== deltas.size) {
    const known = new Set(modules.map((m) => m.path));
    const bad = [...deltas.keys()].filter((p) => !known.has(p));
    throw new Error(`merged LoRA: delta(s) for module(s) the model does not have: ${bad.join(', ')}`);
  }
  return out;
}

/** Inverse of deltasToWeights, checking every name and shape against the model's linears. */
export function weightsToDeltas(
  weights: ReadonlyMap<string, { shape: readonly number[]; data: Float32Array }>,
  modules: readonly LinearModule[],
  file = 'merged LoRA weights',
): Map<string, Float32Array> {
  const byPath = new Map(modules.map((m) => [m.path, m]));
  const out = new Map<string, Float32Array>();
  for (const [name, w] of weights) {
    if (!name.startsWith(DELTA_PREFIX) || !name.endsWith(DELTA_SUFFIX))
      throw new Error(
        `${file}: tensor "${name}" is not a merged delta (expected "${deltaName('<module>')}")`,
      );
    const path = name.slice(DELTA_PREFIX.length, -DELTA_SUFFIX.length);
    const m = byPath.get(path);
    if (!m)
      throw new Error(`${file}: tensor "${name}" names module "${path}", which the base model does not have`);
    if (
      w.shape.length !== 2 ||
      w.shape[0] !== m.outDim ||
      w.shape[1] !== m.inDim ||
      w.data.length !== m.outDim * m.inDim
    )
      throw new Error(
        `${file}: tensor "${name}" has shape [${w.shape.join(', ')}], the module needs [${m.outDim}, ${m.inDim}] (another base model?)`,
      );
    out.set(path, w.data);
  }
  if (out.size === 0) throw new Error(`${file}: holds no merged deltas`);
  return out;
}

/** W + ΔW in the model's own layout (ΔW is [out, in]). */
export function foldDelta(h: HostLinear, m: LinearModule, delta: Float32Array): Float32Array {
  const n = m.inDim * m.outDim;
  if (h.w.length !== n || delta.length !== n)
    throw new Error(
      `merged LoRA: ${m.path} has ${h.w.length} weights and ${delta.length} delta values, expected ${n}`,
    );
  const out = Float32Array.from(h.w);
  if (h.layout === 'nk') for (let j = 0; j < n; j++) out[j] += delta[j];
  else
    for (let o = 0; o < m.outDim; o++)
      for (let i = 0; i < m.inDim; i++) out[i * m.outDim + o] += delta[o * m.inDim + i];
  return out;
}

/** The Linear source: folded weights (uploaded) at their paths, `base` elsewhere. */
export function mergedLinear(
  base: Linear,
  folded: ReadonlyMap<string, LinearWeights>,
  layout: 'kn' | 'nk',
): Linear {
  const merged = plainLinear(layout, (path) => folded.get(path)!);
  return {
    forward: (be, x, path) => (folded.has(path) ? merged : base).forward(be, x, path),
    record: (be, x, path) => (folded.has(path) ? merged : base).record(be, x, path),
  };
}

function nativeModel(base: NativeEmbedder): NativeEmbedder {
  if (base instanceof UseLiteEmbedder || base instanceof HfEmbedder) return base;
  throw new Error(
    'merged LoRA: the base model must be USE-lite or a Hugging Face model on the studio kernels',
  );
}

/**
 * The Embedder of a merged LoRA model: the base's forward with W + ΔW at every module of `deltas`. Each
 * backend gets the folded weights uploaded on its first use (host copies are not kept: only the deltas).
 */
export function loadMergedLora(
  base: NativeEmbedder,
  deltas: ModuleDeltas,
  id = `${base.id}+merge`,
): Embedder {
  const model = nativeModel(base);
  const byPath = new Map(model.linears.map((m) => [m.path, m]));
  for (const [path, d] of deltas) {
    const m = byPath.get(path);
    if (!m) throw new Error(`merged LoRA: the base model has no linear "${path}"`);
    if (d.length !== m.inDim * m.outDim)
      throw new Error(
        `merged LoRA: ΔW of ${path} has ${d.length} values, [${m.outDim}, ${m.inDim}] needs ${m.inDim * m.outDim}`,
      );
  }
  const onDevice = new WeakMap<Backend, Linear>();
  const linearOn = (be: Backend): Linear => {
    let lin = onDevice.get(be);
    if (lin) return lin;
    const folded = new Map<string, LinearWeights>();
    let layout: 'kn' | 'nk' = 'nk';
    for (const [path, d] of deltas) {
      const m = byPath.get(path)!;
      const h = model.hostLinear(path);
      layout = h.layout;
      const w = foldDelta(h, m, d);
      const shape = h.layout === 'nk' ? [m.outDim, m.inDim] : [m.inDim, m.outDim];
      folded.set(path, { w: be.tensor(w, shape), b: h.b ? be.tensor(h.b, [m.outDim]) : null });
    }
    lin = mergedLinear(model.weightsLinear(be), folded, layout);
    onDevice.set(be, lin);
    return lin;
  };
  return {
    id,
    dim: model.dim,
    templates: model.templates,
    embed: (be: Backend, texts: readonly string[], _role: Role) =>
      embedNative(model, be, texts, linearOn(be)),
  };
}
