/** Seeded random weights and a safetensors writer for the tiny test models. */
import type { Rng } from '../../src/util/rng';

export interface NamedTensor {
  readonly shape: readonly number[];
  readonly data: Float32Array;
}

/** Tensors by Hugging Face name, in insertion order. */
export type Weights = Map<string, NamedTensor>;

/** Weights plus a typed getter that fails loudly on a missing name. */
export class WeightSet {
  readonly map: Weights = new Map();

  constructor(
    private readonly rng: Rng,
    private readonly std: number,
  ) {}

  /** a matrix or bias ~ N(0, std) */
  rand(name: string, shape: number[]): Float32Array {
    return this.put(
      name,
      shape,
      this.rng.normals(
        shape.reduce((a, b) => a * b, 1),
        this.std,
      ),
    );
  }

  /** a norm scale ~ N(1, std / 2) */
  scale(name: string, n: number): Float32Array {
    return this.put(name, [n], this.rng.normals(n, this.std / 2, 1));
  }

  put(name: string, shape: number[], data: Float32Array): Float32Array {
    if (this.map.has(name)) throw new Error(`duplicate tensor ${name}`);
    this.map.set(name, { shape, data });
    return data;
  }

  get(name: string): Float32Array {
    const t = this.map.get(name);
    if (!t) throw new Error(`no tensor ${name}`);
    return t.data;
  }
}

/** safetensors: u64 LE header length, JSON header (8-byte aligned, space-padded), then F32 LE data. */
export function encodeSafetensors(
  weights: Weights,
  metadata: Record<string, string> = { format: 'pt' },
): Uint8Array {
  const header: Record<string, unknown> = { __metadata__: metadata };
  let offset = 0;
  for (const [name, t] of weights) {
    const bytes = t.data.length * 4;
    header[name] = { dtype: 'F32', shape: t.shape, data_offsets: [offset, offset + bytes] };
    offset += bytes;
  }
  const raw = new TextEncoder().encode(JSON.stringify(header));
  const hdr = new Uint8Array(raw.length + ((8 - (raw.length % 8)) % 8)).fill(0x20);
  hdr.set(raw);
  const out = new Uint8Array(8 + hdr.length + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(hdr.length), true);
  out.set(hdr, 8);
  let p = 8 + hdr.length;
  for (const t of weights.values()) {
    out.set(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength), p);
    p += t.data.byteLength;
  }
  return out;
}
