/**
 * How a merged LoRA expert stores its weights: one dense ΔW [out, in] (PyTorch / PEFT layout) per merged
 * linear, as the safetensors tensor "base_model.model.<path>.merged_delta.weight" — exact (not a low-rank
 * approximation; lora-extract in src/merge makes a LoRA again). lora-merged.ts folds them into a model.
 *
 * Exports: ModuleDeltas, deltaName, isDeltaWeights, deltasToWeights, weightsToDeltas (checked against the
 * base model's linears, naming the tensor).
 */
import type { LinearModule } from '../nn/ops';

/** ΔW per module path, [out, in] row-major. */
export type ModuleDeltas = ReadonlyMap<string, Float32Array>;

export const DELTA_PREFIX = 'base_model.model.';
export const DELTA_SUFFIX = '.merged_delta.weight';

/** The safetensors name of a module's merged ΔW. */
export const deltaName = (path: string) => `${DELTA_PREFIX}${path}${DELTA_SUFFIX}`;

/** true for the name of a merged ΔW tensor */
export const isDeltaName = (n: string) => n.startsWith(DELTA_PREFIX) && n.endsWith(DELTA_SUFFIX);

/** true when every tensor of `weights` is a merged ΔW (a merged LoRA expert, not PEFT A/B pairs) */
export function isDeltaWeights(weights: ReadonlyMap<string, unknown>): boolean {
  if (weights.size === 0) return false;
  for (const n of weights.keys()) if (!isDeltaName(n)) return false;
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
