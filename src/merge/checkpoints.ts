/**
 * Merging plain model checkpoints with the same tensor names (mergekit on safetensors files), streamed
 * tensor by tensor: the names and shapes of every file are checked first (nothing is written when one
 * does not match: the error names the tensor and the file), then each tensor is read from the base and
 * the experts, merged (per-layer parameters resolved for its name, layer-params.ts) and handed to `write`
 * as bytes, so only one tensor of each model is converted at a time (the files themselves are read from
 * memory: SafetensorsFile). Tensors come out in the base's order (the first expert's without a base).
 *
 * Also the full-model export of a merged LoRA (LoRA out, HF layout): foldCheckpoint copies every tensor of
 * the base model's own safetensors file and adds ΔW to each merged linear's "<prefix><path>.weight".
 *
 * Exports: CheckpointInput, CheckpointOptions, mergeCheckpoints, foldCheckpoint, collectChunks.
 */
import type { Backend } from '../core/backend';
import {
  safetensorsHeader,
  SafetensorsFile,
  tensorBytes,
  type SafetensorsDType,
} from '../models/hf/safetensors';
import {
  layerCount,
  resolveModels,
  resolveOptions,
  type LayerModelParams,
  type LayerOptions,
} from './layer-params';
import { mergeTensorOnBackend } from './merge-backend';
import { getMergeMethod, mergeTensor } from './registry';
import { MergeError, type MergeOptions, type ModelParams, type NamedTensor } from './types';

/** A checkpoint: an opened safetensors file, or named tensors in memory with a label for messages. */
export type CheckpointInput =
  | SafetensorsFile
  | { file: string; tensors: ReadonlyMap<string, { shape: readonly number[]; data: Float32Array }> };

interface Reader {
  file: string;
  names: string[];
  shape(name: string): readonly number[] | null;
  dtype(name: string): SafetensorsDType;
  get(name: string): Float32Array;
}

function reader(c: CheckpointInput): Reader {
  if (c instanceof SafetensorsFile)
    return {
      file: c.file,
      names: c.names,
      shape: (n) => (c.has(n) ? c.info(n).shape : null),
      dtype: (n) => c.info(n).dtype,
      get: (n) => c.get(n).data,
    };
  return {
    file: c.file,
    names: [...c.tensors.keys()],
    shape: (n) => c.tensors.get(n)?.shape ?? null,
    dtype: () => 'F32',
    get: (n) => c.tensors.get(n)!.data,
  };
}

export interface CheckpointOptions {
  /** per-layer values per expert (mergekit gradients / filters; a key wins over models[i]) */
  perLayer?: readonly (LayerModelParams | undefined)[];
  /** per-layer global values (lambda, t) */
  perLayerOptions?: LayerOptions;
  /** stored dtype of the output: a dtype, or 'base' to keep each tensor's dtype in the base (default F32) */
  dtype?: SafetensorsDType | 'base';
  /** the task-arithmetic family mixes on this backend (mergeMix) */
  be?: Backend;
  /** called after each tensor is written */
  onTensor?: (name: string, index: number, total: number) => void;
  /** __metadata__ of the output */
  metadata?: Record<string, string>;
}

const same = (a: readonly number[], b: readonly number[]) =>
  a.length === b.length && a.every((d, i) => d === b[i]);

/**
 * Merges checkpoints by `method`; `write` receives the output safetensors file in order (header first).
 * Returns the number of tensors and bytes written.
 */
export async function mergeCheckpoints(
  method: string,
  base: CheckpointInput | null,
  experts: readonly CheckpointInput[],
  models: readonly ModelParams[],
  options: MergeOptions,
  write: (chunk: Uint8Array) => void | Promise<void>,
  opts: CheckpointOptions = {},
): Promise<{ tensors: number; bytes: number }> {
  const m = getMergeMethod(method);
  if (m.needsBase && !base) throw new MergeError(`${method}: a base model is required`);
  if (experts.length === 0) throw new MergeError(`${method}: no expert checkpoints to merge`);
  if (opts.perLayer && opts.perLayer.length !== experts.length)
    throw new MergeError(
      `${method}: ${experts.length} experts but ${opts.perLayer.length} per-layer parameter sets`,
    );
  if (!(models.length === experts.length || (models.length === 0 && m.modelParams.length === 0)))
    throw new MergeError(
      `${method}: ${experts.length} experts but ${models.length} parameter sets; give one per expert`,
    );
  const b = base ? reader(base) : null;
  const xs = experts.map(reader);
  const ref = b ?? xs[0];
  // every name and shape before any byte is written
  for (const x of xs) {
    for (const name of ref.names) {
      const want = ref.shape(name)!;
      const got = x.shape(name);
      if (!got)
        throw new MergeError(
          `${method}: tensor "${name}" of ${ref.file} is missing from ${x.file}; checkpoints must share tensor names`,
        );
      if (!same(got, want))
        throw new MergeError(
          `${method}: tensor "${name}" is [${got.join(', ')}] in ${x.file} but [${want.join(', ')}] in ${ref.file}; checkpoints must share shapes (the same architecture)`,
        );
    }
    if (x !== ref)
      for (const name of x.names)
        if (!ref.shape(name))
          throw new MergeError(
            `${method}: tensor "${name}" of ${x.file} is not in ${ref.file}; checkpoints must share tensor names`,
          );
  }
  const layers = layerCount(ref.names);
  const dtypeOf = (name: string): SafetensorsDType =>
    opts.dtype === 'base' ? ref.dtype(name) : (opts.dtype ?? 'F32');
  const entries = ref.names.map((name) => ({ name, shape: ref.shape(name)!, dtype: dtypeOf(name) }));
  const { head, dataBytes } = safetensorsHeader(entries, opts.metadata);
  await write(head);
  const refs = experts.map((_, i) => ({
    name: `expert ${i} (${xs[i].file})`,
    params: models[i],
    perLayer: opts.perLayer?.[i],
  }));
  for (const [i, e] of entries.entries()) {
    const shape = [...e.shape];
    const bt: NamedTensor | null = b ? { name: e.name, shape, data: b.get(e.name) } : null;
    const ts = xs.map((x) => ({ name: e.name, shape, data: x.get(e.name) }));
    const tm = models.length === 0 ? [] : resolveModels(refs, e.name, layers);
    const to = resolveOptions(options, opts.perLayerOptions, e.name, layers);
    const merged = opts.be
      ? await mergeTensorOnBackend(opts.be, method, bt, ts, tm, to)
      : mergeTensor(method, bt, ts, tm, to);
    await write(tensorBytes(e.name, { shape, data: merged.data, dtype: e.dtype }));
    opts.onTensor?.(e.name, i, entries.length);
  }
  return { tensors: entries.length, bytes: head.length + dataBytes };
}

/**
 * A base model's safetensors file with ΔW [out, in] added to "<prefix><path>.weight" for each merged
 * module (HF linears are stored [out, in]); every other tensor is copied. Tensors keep the file's names
 * and dtypes (F16/BF16 weights are rounded after the addition). A ΔW whose weight is missing or has
 * another shape is an error naming it.
 */
export async function foldCheckpoint(
  src: SafetensorsFile,
  prefix: string,
  deltas: ReadonlyMap<string, Float32Array>,
  write: (chunk: Uint8Array) => void | Promise<void>,
  metadata?: Record<string, string>,
): Promise<{ tensors: number; folded: number; bytes: number }> {
  const byName = new Map<string, Float32Array>();
  for (const [path, d] of deltas) {
    const name = `${prefix}${path}.weight`;
    if (!src.has(name))
      throw new MergeError(`LoRA out: ${src.file} has no tensor "${name}" for the merged module ${path}`);
    const shape = src.info(name).shape;
    if (shape.length !== 2 || shape[0] * shape[1] !== d.length)
      throw new MergeError(
        `LoRA out: tensor "${name}" of ${src.file} is [${shape.join(', ')}], the merged ΔW has ${d.length} values`,
      );
    byName.set(name, d);
  }
  const names = src.names;
  const entries = names.map((name) => ({ name, shape: src.info(name).shape, dtype: src.info(name).dtype }));
  const { head, dataBytes } = safetensorsHeader(entries, metadata);
  await write(head);
  for (const e of entries) {
    const data = src.get(e.name).data;
    const d = byName.get(e.name);
    if (d) for (let j = 0; j < data.length; j++) data[j] += d[j];
    await write(tensorBytes(e.name, { shape: e.shape, data, dtype: e.dtype }));
  }
  return { tensors: entries.length, folded: byName.size, bytes: head.length + dataBytes };
}

/** A `write` that collects the chunks, and the ArrayBuffer they make (for tests and in-memory use). */
export function collectChunks(): { write: (c: Uint8Array) => void; buffer: () => ArrayBuffer } {
  const parts: Uint8Array[] = [];
  return {
    write: (c) => void parts.push(c.slice()),
    buffer: () => {
      const n = parts.reduce((s, p) => s + p.length, 0);
      const out = new Uint8Array(n);
      let o = 0;
      for (const p of parts) {
        out.set(p, o);
        o += p.length;
      }
      return out.buffer;
    },
  };
}
