/**
 * The structured serialisation of a bundle part: the values IndexedDB stores (plain objects, arrays,
 * strings, numbers, booleans, null/undefined, Dates, ArrayBuffers and typed arrays) as tagged binary, so
 * Float32Array weights and ArrayBuffer model files come back bit for bit. A part is a u32 record count,
 * then each record: for stores with out-of-line keys (settings) the key, then the value.
 */
import { BundleError } from './bundle-error';

const T = {
  undefined: 0,
  null: 1,
  false: 2,
  true: 3,
  number: 4,
  string: 5,
  array: 6,
  object: 7,
  arrayBuffer: 8,
  typed: 9,
  date: 10,
} as const;

type TypedCtor =
  | Int8ArrayConstructor
  | Uint8ArrayConstructor
  | Uint8ClampedArrayConstructor
  | Int16ArrayConstructor
  | Uint16ArrayConstructor
  | Int32ArrayConstructor
  | Uint32ArrayConstructor
  | Float32ArrayConstructor
  | Float64ArrayConstructor
  | BigInt64ArrayConstructor
  | BigUint64ArrayConstructor;
/** typed-array kinds by their tag byte (never reorder: the tag is in every bundle) */
const TYPED: readonly TypedCtor[] = [
  Int8Array,
  Uint8Array,
  Uint8ClampedArray,
  Int16Array,
  Uint16Array,
  Int32Array,
  Uint32Array,
  Float32Array,
  Float64Array,
  BigInt64Array,
  BigUint64Array,
];

const utf8 = new TextEncoder();
const fromUtf8 = new TextDecoder('utf-8', { fatal: true });

/** Collects bytes in 64 KiB blocks; large binary fields are kept by reference until `finish`. */
class Writer {
  private readonly out: Uint8Array[] = [];
  private buf = new Uint8Array(1 << 16);
  private view = new DataView(this.buf.buffer);
  private pos = 0;

  private room(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    this.flush();
    if (n > this.buf.length) {
      this.buf = new Uint8Array(n);
      this.view = new DataView(this.buf.buffer);
    }
  }
  private flush(): void {
    if (this.pos) this.out.push(this.buf.slice(0, this.pos));
    this.pos = 0;
  }
  u8(v: number): void {
    this.room(1);
    this.buf[this.pos++] = v;
  }
  u32(v: number): void {
    this.room(4);
    this.view.setUint32(this.pos, v, true);
    this.pos += 4;
  }
  f64(v: number): void {
    this.room(8);
    this.view.setFloat64(this.pos, v, true);
    this.pos += 8;
  }
  bytes(b: Uint8Array): void {
    this.u32(b.byteLength);
    if (b.byteLength <= 4096) {
      this.room(b.byteLength);
      this.buf.set(b, this.pos);
      this.pos += b.byteLength;
    } else {
      this.flush();
      this.out.push(b);
    }
  }
  /** the part as one buffer */
  finish(): Uint8Array {
    this.flush();
    const total = this.out.reduce((s, b) => s + b.byteLength, 0);
    const all = new Uint8Array(total);
    let at = 0;
    for (const b of this.out) {
      all.set(b, at);
      at += b.byteLength;
    }
    return all;
  }
}

function write(w: Writer, v: unknown, path: string): void {
  if (v === undefined) return w.u8(T.undefined);
  if (v === null) return w.u8(T.null);
  if (v === true || v === false) return w.u8(v ? T.true : T.false);
  if (typeof v === 'number') {
    w.u8(T.number);
    return w.f64(v);
  }
  if (typeof v === 'string') {
    w.u8(T.string);
    return w.bytes(utf8.encode(v));
  }
  if (Array.isArray(v)) {
    w.u8(T.array);
    w.u32(v.length);
    for (let i = 0; i < v.length; i++) write(w, v[i], `${path}[${i}]`);
    return;
  }
  if (v instanceof ArrayBuffer) {
    w.u8(T.arrayBuffer);
    return w.bytes(new Uint8Array(v));
  }
  if (ArrayBuffer.isView(v) && !(v instanceof DataView)) {
    const kind = TYPED.findIndex((c) => v.constructor === c);
    if (kind < 0) throw new Error(`${path}: a ${v.constructor.name} cannot be bundled`);
    w.u8(T.typed);
    w.u8(kind);
    return w.bytes(new Uint8Array(v.buffer, v.byteOffset, v.byteLength));
  }
  if (v instanceof Date) {
    w.u8(T.date);
    return w.f64(v.getTime());
  }
  const proto = typeof v === 'object' ? Object.getPrototypeOf(v) : undefined;
  if (proto === Object.prototype || proto === null) {
    const entries = Object.entries(v as object);
    w.u8(T.object);
    w.u32(entries.length);
    for (const [k, x] of entries) {
      w.bytes(utf8.encode(k));
      write(w, x, `${path}.${k}`);
    }
    return;
  }
  const what = typeof v === 'object' ? (v as object).constructor?.name : typeof v;
  throw new Error(`${path}: a ${what} cannot be bundled`);
}

/** One stored record: its key when the store keeps keys out of line, and its value. */
export interface BundleEntry {
  key?: IDBValidKey;
  value: unknown;
}

/** Encodes a part; `explicitKeys` when the store keeps keys out of line. */
export function encodePart(store: string, entries: BundleEntry[], explicitKeys: boolean): Uint8Array {
  const w = new Writer();
  w.u32(entries.length);
  entries.forEach((e, i) => {
    if (explicitKeys) write(w, e.key, `${store}[${i}].key`);
    write(w, e.value, `${store}[${i}]`);
  });
  return w.finish();
}

class Reader {
  pos = 0;
  private readonly view: DataView;
  constructor(
    private readonly b: Uint8Array,
    private readonly part: string,
  ) {
    this.view = new DataView(b.buffer, b.byteOffset, b.byteLength);
  }
  fail(what: string): never {
    throw new BundleError(this.part, `malformed contents at byte ${this.pos} (${what})`);
  }
  need(n: number): void {
    if (this.pos + n > this.b.byteLength) this.fail('it ends early');
  }
  u8(): number {
    this.need(1);
    return this.b[this.pos++];
  }
  u32(): number {
    this.need(4);
    const v = this.view.getUint32(this.pos, true);
    this.pos += 4;
    return v;
  }
  f64(): number {
    this.need(8);
    const v = this.view.getFloat64(this.pos, true);
    this.pos += 8;
    return v;
  }
  /** a copy, so every decoded buffer is its own */
  bytes(): Uint8Array<ArrayBuffer> {
    const n = this.u32();
    this.need(n);
    const out = this.b.slice(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }
  text(): string {
    try {
      return fromUtf8.decode(this.bytes());
    } catch {
      return this.fail('a string is not UTF-8');
    }
  }
}

function read(r: Reader, depth: number): unknown {
  if (depth > 64) r.fail('values nested too deep');
  const tag = r.u8();
  switch (tag) {
    case T.undefined:
      return undefined;
    case T.null:
      return null;
    case T.false:
      return false;
    case T.true:
      return true;
    case T.number:
      return r.f64();
    case T.string:
      return r.text();
    case T.array: {
      const n = r.u32();
      r.need(n); // every item takes at least a byte
      const out: unknown[] = new Array<unknown>(n);
      for (let i = 0; i < n; i++) out[i] = read(r, depth + 1);
      return out;
    }
    case T.object: {
      const n = r.u32();
      r.need(n);
      const out: Record<string, unknown> = {};
      for (let i = 0; i < n; i++) {
        const k = r.text();
        Object.defineProperty(out, k, {
          value: read(r, depth + 1),
          enumerable: true,
          writable: true,
          configurable: true,
        });
      }
      return out;
    }
    case T.arrayBuffer:
      return r.bytes().buffer;
    case T.typed: {
      const Ctor = TYPED[r.u8()];
      if (!Ctor) return r.fail('unknown typed-array kind');
      const b = r.bytes();
      if (b.byteLength % Ctor.BYTES_PER_ELEMENT) r.fail(`${Ctor.name} of ${b.byteLength} bytes`);
      return new Ctor(b.buffer);
    }
    case T.date:
      return new Date(r.f64());
    default:
      return r.fail(`unknown tag ${tag}`);
  }
}

/** Decodes a part written by `encodePart`; malformed contents throw a BundleError naming the part. */
export function decodePart(part: string, bytes: Uint8Array, explicitKeys: boolean): BundleEntry[] {
  const r = new Reader(bytes, part);
  const n = r.u32();
  r.need(n);
  const out: BundleEntry[] = [];
  for (let i = 0; i < n; i++) {
    const key = explicitKeys ? (read(r, 0) as IDBValidKey) : undefined;
    out.push(explicitKeys ? { key, value: read(r, 0) } : { value: read(r, 0) });
  }
  if (r.pos !== bytes.byteLength) r.fail(`${bytes.byteLength - r.pos} bytes after the last record`);
  return out;
}
