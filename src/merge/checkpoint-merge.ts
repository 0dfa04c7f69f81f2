/**
 * Merging plain checkpoints (same tensor names and shapes) as mergekit does, tensor by tensor: the
 * sources are read one tensor name at a time (the base's and each expert's tensor of that name), merged by
 * the method and handed to the caller, so no more than one tensor per model is held at once. Sources are
 * abstract (a safetensors file read from disk in the CLI, a File in the browser). Per-layer parameters
 * (gradients, name filters; layer-params.ts) are resolved for each tensor from the plan's names. Fused
 * tensors (Phi-3) merge by row slices, each resolved and merged as the unfused tensor (row-slices.ts).
 */
import type { Backend } from '../core/backend';
import { tensorParams, type LayerModelParams, type LayerOptions } from './layer-params';
import { mergeTensorOnBackend } from './merge-backend';
import { getMergeMethod, mergeTensor } from './registry';
import { mergeByRows, type RowSlices } from './row-slices';
import { MergeError, type MergeOptions, type ModelParams, type NamedTensor } from './types';

/** A checkpoint whose tensors are read on demand. */
export interface TensorSource {
  /** the file name, for messages */
  readonly file: string;
  /** tensor names in file order */
  readonly names: readonly string[];
  shape(name: string): readonly number[];
  read(name: string): Promise<Float32Array>;
}

export interface PlannedTensor {
  name: string;
  shape: number[];
}

const sameShape = (a: readonly number[], b: readonly number[]) =>
  a.length === b.length && a.every((d, i) => d === b[i]);

/**
 * The tensors the merge writes (the reference's names and shapes: the base, or the first expert when the
 * method takes no base), after checking that every source holds exactly these names with these shapes;
 * a mismatch throws naming the tensor and the file.
 */
export function planCheckpointMerge(
  method: string,
  base: TensorSource | null,
  experts: readonly TensorSource[],
): PlannedTensor[] {
  const m = getMergeMethod(method);
  if (m.needsBase && !base) throw new MergeError(`${method}: a base model is required`);
  if (experts.length < m.minExperts)
    throw new MergeError(`${method}: needs at least ${m.minExperts} experts, got ${experts.length}`);
  if (m.maxExperts !== undefined && experts.length > m.maxExperts)
    throw new MergeError(`${method}: at most ${m.maxExperts} expert(s), got ${experts.length}`);
  const ref = base ?? experts[0];
  if (!ref) throw new MergeError(`${method}: no experts to merge`);
  if (ref.names.length === 0) throw new MergeError(`${ref.file}: holds no tensors; nothing to merge`);
  const plan = ref.names.map((name) => ({ name, shape: [...ref.shape(name)] }));
  const refNames = new Set(ref.names);
  for (const src of [base, ...experts]) {
    if (!src || src === ref) continue;
    const names = new Set(src.names);
    for (const t of plan) {
      if (!names.has(t.name))
        throw new MergeError(
          `${src.file}: has no tensor "${t.name}" (in ${ref.file}); checkpoints merged together must hold the same tensor names`,
        );
      const s = src.shape(t.name);
      if (!sameShape(s, t.shape))
        throw new MergeError(
          `${src.file}: tensor "${t.name}" has shape [${s.join(', ')}], ${ref.file} has [${t.shape.join(', ')}]; checkpoints merged together must share every shape (the same architecture)`,
        );
    }
    const extra = src.names.find((n) => !refNames.has(n));
    if (extra !== undefined)
      throw new MergeError(
        `${src.file}: tensor "${extra}" is not in ${ref.file}; checkpoints merged together must hold the same tensor names`,
      );
  }
  return plan;
}

export interface CheckpointMergeArgs {
  method: string;
  base: TensorSource | null;
  experts: readonly TensorSource[];
  /** one per expert, in order */
  models: readonly ModelParams[];
  options: MergeOptions;
  /**
   * per-layer values (MergeExpertRef.perLayer, one entry per expert, and MergeRecipe.perLayer): each tensor
   * merges with its own models / options, the layer count taken from the plan's names
   */
  perLayer?: { models?: readonly (LayerModelParams | undefined)[]; options?: LayerOptions };
  /** mix the task-arithmetic family on this backend (mergeMix); the CPU reference without */
  backend?: Backend;
  /** fused tensors merged slice by slice (Phi-3's qkv_proj / gate_up_proj: fusedRowSlices of its config.json) */
  slices?: RowSlices | null;
}

/**
 * Merges the checkpoints tensor by tensor, in the plan's order, calling `emit` with each merged tensor
 * before the next one is read. Returns the plan (what was emitted).
 */
export async function mergeCheckpoints(
  a: CheckpointMergeArgs,
  emit: (t: NamedTensor, index: number, total: number) => Promise<void> | void,
): Promise<PlannedTensor[]> {
  const plan = planCheckpointMerge(a.method, a.base, a.experts);
  if (a.models.length !== a.experts.length)
    throw new MergeError(
      `${a.method}: ${a.experts.length} experts but ${a.models.length} parameter sets; give one per expert`,
    );
  const paramsOf = tensorParams(
    plan.map((t) => t.name),
    a.experts.map((e, i) => ({ name: e.file, params: a.models[i], perLayer: a.perLayer?.models?.[i] })),
    a.options,
    a.perLayer?.options,
  );
  for (const [i, t] of plan.entries()) {
    const read = async (src: TensorSource): Promise<NamedTensor> => ({
      name: t.name,
      shape: t.shape,
      data: await src.read(t.name),
    });
    const base = a.base ? await read(a.base) : null;
    const experts: NamedTensor[] = [];
    for (const e of a.experts) experts.push(await read(e));
    let merged: NamedTensor;
    try {
      merged = await mergeByRows(a.slices, base, experts, (b, ex, name) => {
        const { models, options } = paramsOf(name);
        return a.backend
          ? mergeTensorOnBackend(a.backend, a.method, b, ex, models, options)
          : mergeTensor(a.method, b, ex, models, options);
      });
    } catch (e) {
      if (e instanceof MergeError && !e.message.includes(`"${t.name}"`))
        e.message = `tensor "${t.name}": ${e.message}`;
      throw e;
    }
    await emit(merged, i, plan.length);
  }
  return plan;
}

/** An in-memory source (tests, small models already loaded). */
export function memorySource(file: string, tensors: readonly NamedTensor[]): TensorSource {
  const map = new Map(tensors.map((t) => [t.name, t]));
  const get = (name: string) => {
    const t = map.get(name);
    if (!t) throw new MergeError(`${file}: no tensor "${name}"`);
    return t;
  };
  return {
    file,
    names: tensors.map((t) => t.name),
    shape: (name) => get(name).shape,
    read: (name) => Promise.resolve(Float32Array.from(get(name).data)),
  };
}
