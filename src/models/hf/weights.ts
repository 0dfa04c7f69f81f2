/**
 * The weights of one model: named tensors checked against the architecture's expected shapes when the
 * model is loaded, read from the checkpoint (a TensorSource: one file or shards, tensor by tensor) and
 * uploaded once per backend on first use (kept until dispose), one tensor at a time.
 *
 * Linear weights (2-D `*.weight` tensors that are not tables) are uploaded in the weight format
 * (`format`, fit.ts): 'auto' is f16 on WebGPU (backend.tensorF16: native `shader-f16` where the device has
 * it, packed halves elsewhere) and f32 on the CPU; 'q8' is int8 per output row (backend.tensorQ8). f32
 * checkpoints get f16 by default too: the embeddings move by < 1e-3 in cosine (weights.test.ts) and the
 * weights take half the memory; `format: 'f32'` keeps them exact.
 *
 * A tensor larger than one tensor of the backend (maxStorageBufferBindingSize on WebGPU) is uploaded as
 * row blocks named `${name}#0`, `${name}#1`, … (splitName): tables are gathered block by block and split
 * linears run block by block (common.ts lookup / hfLinear).
 */
import type { Backend, Tensor } from '../../core/backend';
import { resolveWeightFormat, type WeightFormat, type WeightFormatChoice } from './fit';
import { PerBackend } from './per-backend';
import { SafetensorsError } from './safetensors';
import type { TensorSource } from './tensor-source';

/** The name of row block `i` of a tensor too large for one backend tensor. */
export const splitName = (name: string, i: number): string => `${name}#${i}`;

/** Row blocks of `rows` rows of `cols` values each, at most `max` values per block (at least one row). */
export function rowBlocks(rows: number, cols: number, max: number): { start: number; count: number }[] {
  const per = Math.max(1, Math.min(rows, Math.floor(max / Math.max(1, cols))));
  const out: { start: number; count: number }[] = [];
  for (let r = 0; r < rows; r += per) out.push({ start: r, count: Math.min(per, rows - r) });
  return out;
}

export class Weights {
  private readonly specs = new Map<string, { full: string; shape: number[] }>();
  private readonly uploaded = new PerBackend<Map<string, Tensor>>((m) => m.values());
  /** the name prefix the file uses ('' or e.g. 'bert.', 'model.') */
  readonly prefix: string;
  /** how linear weights are uploaded (set before the first upload; see the file comment) */
  format: WeightFormatChoice = 'auto';

  constructor(
    readonly src: TensorSource,
    /** prefixes to try, the first under which `probe` exists wins */
    prefixes: readonly string[],
    probe: string,
  ) {
    const p = prefixes.find((x) => src.has(x + probe));
    if (p === undefined) {
      const seen = src.names.slice(0, 5).join(', ');
      throw new SafetensorsError(
        src.file,
        probe,
        `not found under any of the prefixes ${prefixes.map((x) => `"${x}"`).join(', ')} (file has: ${seen}${src.names.length > 5 ? ', …' : ''})`,
      );
    }
    this.prefix = p;
  }

  /** Number of parameters in the declared (used) tensors. */
  get parameterCount(): number {
    let n = 0;
    for (const { shape } of this.specs.values()) n += shape.reduce((a, d) => a * d, 1);
    return n;
  }

  /** Declares a required tensor; throws if it is missing or has another shape. Returns the short name. */
  need(name: string, shape: readonly number[]): string {
    const full = this.prefix + name;
    if (!this.src.has(full))
      throw new SafetensorsError(this.src.file, full, `missing (expected shape [${shape.join(', ')}])`);
    const got = this.src.info(full).shape;
    if (got.length !== shape.length || got.some((d, i) => d !== shape[i])) {
      throw new SafetensorsError(
        this.src.fileOf(full),
        full,
        `shape [${got.join(', ')}], expected [${shape.join(', ')}]`,
      );
    }
    this.specs.set(name, { full, shape: [...shape] });
    return name;
  }

  /** Declares a tensor that may be absent; returns whether it is there (shape checked when present). */
  optional(name: string, shape: readonly number[]): boolean {
    if (!this.src.has(this.prefix + name)) return false;
    this.need(name, shape);
    return true;
  }

  has(name: string): boolean {
    return this.specs.has(name);
  }

  shape(name: string): readonly number[] {
    const s = this.specs.get(name);
    if (!s) throw new Error(`weight "${name}" was not declared`);
    return s.shape;
  }

  /** f32 data of one declared tensor (read now; not cached) */
  data(name: string): Float32Array {
    const s = this.specs.get(name);
    if (!s) throw new Error(`weight "${name}" was not declared`);
    return this.src.get(s.full).data;
  }

  /** The format linear weights get on `backend`. */
  formatOn(backend: Backend): WeightFormat {
    return resolveWeightFormat(this.format, backend.kind);
  }

  /**
   * All declared tensors on `backend` (uploaded on the first call, one tensor read and uploaded at a time).
   * `tables` (gathered by id: token, position tables) stay f32; the other 2-D `*.weight` tensors are
   * linear weights in the weight format. A 2-D tensor over the backend's limit is uploaded as row blocks
   * (splitName); a larger 1-D one throws naming it.
   */
  on(backend: Backend, tables: ReadonlySet<string> = new Set()): Map<string, Tensor> {
    return this.uploaded.get(backend, () => {
      const m = new Map<string, Tensor>();
      const format = this.formatOn(backend);
      try {
        for (const [name, s] of this.specs) {
          const linear =
            s.shape.length === 2 && name.endsWith('.weight') && !tables.has(name) && !/embed/i.test(name);
          const put = (data: Float32Array, shape: number[]): Tensor =>
            uploadIn(backend, linear ? format : 'f32', data, shape);
          const count = s.shape.reduce((a, b) => a * b, 1);
          // f16 packs two values per 32-bit word and q8 four, but the blocks stay within the f32 count
          if (count <= backend.maxTensorElements) {
            m.set(name, put(this.data(name), s.shape));
            continue;
          }
          if (s.shape.length !== 2)
            throw new SafetensorsError(
              this.src.fileOf(s.full),
              s.full,
              `[${s.shape.join(', ')}] (${count} values) exceeds the ${backend.label} limit of ${backend.maxTensorElements} values per tensor and is not a matrix that can be split into row blocks`,
            );
          const [rows, cols] = s.shape;
          rowBlocks(rows, cols, backend.maxTensorElements).forEach(({ start, count: n }, i) =>
            m.set(splitName(name, i), put(this.src.getRows(s.full, start, n), [n, cols])),
          );
        }
      } catch (e) {
        for (const t of m.values()) backend.dispose(t);
        throw e;
      }
      return m;
    });
  }

  /** Frees the tensors uploaded to `backend` (or to every backend). */
  release(backend?: Backend): void {
    this.uploaded.release(backend);
  }
}

/** A linear weight [rows, cols] on `backend` in `format` (f32 as is, f16 rounded, q8 per output row). */
export function uploadIn(
  backend: Backend,
  format: WeightFormat,
  data: Float32Array,
  shape: number[],
): Tensor {
  return format === 'f16'
    ? backend.tensorF16(data, shape)
    : format === 'q8'
      ? backend.tensorQ8(data, shape)
      : backend.tensor(data, shape);
}

/** The row blocks of a tensor uploaded split (splitName), in order; empty when it is whole or absent. */
export function blocksOf(on: ReadonlyMap<string, Tensor>, name: string): Tensor[] {
  const out: Tensor[] = [];
  for (let i = 0; on.has(splitName(name, i)); i++) out.push(on.get(splitName(name, i))!);
  return out;
}
