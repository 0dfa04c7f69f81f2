/**
 * The weights of one model: named tensors checked against the architecture's expected shapes when the
 * model is loaded, converted to f32 and uploaded once per backend on first use (kept until dispose).
 */
import type { Backend, Tensor } from '../../core/backend';
import { PerBackend } from './per-backend';
import { SafetensorsError, type SafetensorsFile } from './safetensors';

export class Weights {
  private readonly specs = new Map<string, { full: string; shape: number[] }>();
  private readonly uploaded = new PerBackend<Map<string, Tensor>>((m) => m.values());
  /** the name prefix the file uses ('' or e.g. 'bert.', 'model.') */
  readonly prefix: string;

  constructor(
    readonly src: SafetensorsFile,
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
        this.src.file,
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

  /** f32 data of one declared tensor (converted now; not cached) */
  data(name: string): Float32Array {
    const s = this.specs.get(name);
    if (!s) throw new Error(`weight "${name}" was not declared`);
    return this.src.get(s.full).data;
  }

  /** f32 rows [ids.length, cols] of a declared 2-D tensor, read from the file without converting the rest */
  rows(name: string, ids: ArrayLike<number>): Float32Array {
    const s = this.specs.get(name);
    if (!s || s.shape.length !== 2) throw new Error(`weight "${name}" is not a declared 2-D tensor`);
    const [n, cols] = s.shape;
    const out = new Float32Array(ids.length * cols);
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i];
      if (!(id >= 0 && id < n)) throw new Error(`${s.full}: row ${id} out of range [0, ${n})`);
      out.set(this.src.getRows(s.full, id, 1), i * cols);
    }
    return out;
  }

  /**
   * All declared tensors on `backend` (uploaded on the first call). Tensors larger than the backend's
   * limit are skipped when listed in `hostOnly` (the caller reads them through `rows`).
   */
  on(backend: Backend, hostOnly: ReadonlySet<string> = new Set()): Map<string, Tensor> {
    return this.uploaded.get(backend, () => {
      const m = new Map<string, Tensor>();
      try {
        for (const [name, s] of this.specs) {
          const count = s.shape.reduce((a, b) => a * b, 1);
          if (hostOnly.has(name) && count > backend.maxTensorElements) continue;
          m.set(name, backend.tensor(this.data(name), s.shape));
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
