/**
 * The full-model export of a merged LoRA (LoRA out, HF layout), streamed tensor by tensor: foldCheckpoint
 * copies every tensor of the base model's own safetensors file and adds ΔW to each merged linear's
 * "<prefix><path>.weight". (Merging plain checkpoints is checkpoint-merge.ts.)
 *
 * Exports: foldCheckpoint, collectChunks (a `write` that gathers the file in memory).
 */
import { safetensorsHeader, tensorBytes } from '../models/hf/safetensors';
import type { TensorSource } from '../models/hf/tensor-source';
import { MergeError } from './types';

/**
 * A base model's safetensors file with ΔW [out, in] added to "<prefix><path>.weight" for each merged
 * module (HF linears are stored [out, in]); every other tensor is copied. Tensors keep the file's names
 * and dtypes (F16/BF16 weights are rounded after the addition). A ΔW whose weight is missing or has
 * another shape is an error naming it.
 */
export async function foldCheckpoint(
  src: TensorSource,
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
