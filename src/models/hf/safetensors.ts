/**
 * Hardened safetensors reader and a small writer. Format: u64 little-endian header length N, N bytes of
 * UTF-8 JSON {name: {dtype, shape, data_offsets: [begin, end]}, "__metadata__"?: {..}}, then the data
 * section (offsets are relative to its start). F32, F16 and BF16 tensors are read (as f32); any other
 * dtype, any malformed header and any inconsistent offset throws a SafetensorsError naming the file and
 * tensor. The whole header is validated before any tensor is returned.
 */
import { bf16ArrayToF32, f16ArrayToF32, f32ToBf16, f32ToF16 } from './half';

export type SafetensorsDType = 'F32' | 'F16' | 'BF16';

export interface SafetensorsTensor {
  readonly dtype: SafetensorsDType;
  readonly shape: readonly number[];
  readonly data: Float32Array;
}

export interface SafetensorsInfo {
  readonly dtype: SafetensorsDType;
  readonly shape: readonly number[];
  /** absolute byte range in the file */
  readonly begin: number;
  readonly end: number;
}

export class SafetensorsError extends Error {
  constructor(
    readonly file: string,
    readonly tensor: string | null,
    readonly detail: string,
  ) {
    super(`${file}${tensor !== null ? `: tensor "${tensor}"` : ''}: ${detail}`);
    this.name = 'SafetensorsError';
  }
}

/** Largest accepted JSON header (the format's reference implementation uses the same bound). */
export const MAX_HEADER_BYTES = 100_000_000;

const BYTES: Record<SafetensorsDType, number> = { F32: 4, F16: 2, BF16: 2 };
const KNOWN_UNSUPPORTED = new Set([
  'F64',
  'I64',
  'I32',
  'I16',
  'I8',
  'U64',
  'U32',
  'U16',
  'U8',
  'BOOL',
  'F8_E4M3',
  'F8_E5M2',
  'F8_E8M0',
  'F4',
  'F6_E2M3',
  'F6_E3M2',
  'C64',
]);

export interface SafetensorsOptions {
  /** accept NaN / infinite weights (default false: such a tensor throws naming the element) */
  allowNonFinite?: boolean;
}

/**
 * A parsed safetensors header and the tensor lookups on it; subclasses say how a tensor's bytes are read
 * (a buffer held in memory here; a file or Blob read per tensor in tensor-source.ts).
 */
export abstract class SafetensorsTensors {
  protected constructor(
    readonly file: string,
    private readonly infos: Map<string, SafetensorsInfo>,
    readonly metadata: Readonly<Record<string, unknown>>,
    private readonly opts: SafetensorsOptions,
  ) {}

  /** the stored bytes [begin, end) of tensor `name` (for messages) */
  protected abstract bytes(name: string, begin: number, end: number): ArrayBuffer;

  get names(): string[] {
    return [...this.infos.keys()];
  }

  has(name: string): boolean {
    return this.infos.has(name);
  }

  info(name: string): SafetensorsInfo {
    const i = this.infos.get(name);
    if (!i) throw new SafetensorsError(this.file, name, 'no such tensor in the file');
    return i;
  }

  /** the file that holds the tensor (this one) */
  fileOf(name: string): string {
    this.info(name);
    return this.file;
  }

  /** The tensor converted to f32 (a fresh array). */
  get(name: string): SafetensorsTensor {
    const { dtype, shape, begin, end } = this.info(name);
    return { dtype, shape, data: this.convert(name, begin, end, 0) };
  }

  /** `count` rows from `row` of a tensor seen as [shape[0], rest] (embedding tables too big to convert whole). */
  getRows(name: string, row: number, count: number): Float32Array {
    const { dtype, shape, begin } = this.info(name);
    const rows = shape[0] ?? 1;
    if (!(Number.isInteger(row) && row >= 0 && count >= 0 && row + count <= rows)) {
      throw new SafetensorsError(this.file, name, `rows [${row}, ${row + count}) out of range [0, ${rows})`);
    }
    const cols = shape.slice(1).reduce((x, y) => x * y, 1);
    const start = begin + row * cols * BYTES[dtype];
    return this.convert(name, start, start + count * cols * BYTES[dtype], row * cols);
  }

  private convert(name: string, begin: number, end: number, firstElement: number): Float32Array {
    const dtype = this.info(name).dtype;
    return decodeSafetensorsData(
      this.file,
      name,
      dtype,
      this.bytes(name, begin, end),
      firstElement,
      this.opts,
    );
  }
}

/** A validated file held in memory whose tensors are converted on demand. */
export class SafetensorsFile extends SafetensorsTensors {
  private constructor(
    file: string,
    private readonly buf: ArrayBuffer,
    infos: Map<string, SafetensorsInfo>,
    metadata: Readonly<Record<string, unknown>>,
    opts: SafetensorsOptions,
  ) {
    super(file, infos, metadata, opts);
  }

  /** Validates the header and every tensor's offsets (no tensor data is read). */
  static open(buf: ArrayBuffer, file = 'model.safetensors', opts: SafetensorsOptions = {}): SafetensorsFile {
    if (!(buf instanceof ArrayBuffer)) throw new SafetensorsError(file, null, 'expected an ArrayBuffer');
    const { infos, metadata } = parseSafetensorsHeader(buf, buf.byteLength, file);
    return new SafetensorsFile(file, buf, infos, metadata, opts);
  }

  protected bytes(_name: string, begin: number, end: number): ArrayBuffer {
    return this.buf.slice(begin, end);
  }
}

/**
 * A tensor's stored bytes as f32 (a fresh array); a non-finite value throws naming the file, the tensor and
 * the element (`firstElement`: the index of the first value in `bytes`), unless allowNonFinite.
 */
export function decodeSafetensorsData(
  file: string,
  name: string,
  dtype: SafetensorsDType,
  bytes: ArrayBuffer,
  firstElement = 0,
  opts: SafetensorsOptions = {},
): Float32Array {
  const data =
    dtype === 'F32'
      ? new Float32Array(bytes)
      : dtype === 'F16'
        ? f16ArrayToF32(new Uint16Array(bytes))
        : bf16ArrayToF32(new Uint16Array(bytes));
  if (!opts.allowNonFinite) {
    const bad = data.findIndex((x) => !Number.isFinite(x));
    if (bad >= 0)
      throw new SafetensorsError(
        file,
        name,
        `element ${firstElement + bad} is ${data[bad]} (non-finite weight)`,
      );
  }
  return data;
}

/**
 * Validates a safetensors header: `head` holds at least the file's first 8 + N bytes (N: the header
 * length it starts with), `fileBytes` is the whole file's size. Returns every tensor's dtype, shape and
 * absolute byte range (checked against the file size and each other) and the metadata; no tensor data is
 * needed, so a reader can fetch one tensor at a time from disk.
 */
export function parseSafetensorsHeader(
  head: ArrayBuffer,
  fileBytes: number,
  file = 'model.safetensors',
): { infos: Map<string, SafetensorsInfo>; metadata: Record<string, unknown>; headerBytes: number } {
  const fail = (detail: string, tensor: string | null = null) => new SafetensorsError(file, tensor, detail);
  if (fileBytes < 8 || head.byteLength < 8)
    throw fail(`file is ${fileBytes} bytes, shorter than the 8-byte header length`);
  const view = new DataView(head);
  const lo = view.getUint32(0, true);
  const hi = view.getUint32(4, true);
  const n = hi * 2 ** 32 + lo;
  if (n > MAX_HEADER_BYTES) throw fail(`header length ${n} exceeds the ${MAX_HEADER_BYTES}-byte limit`);
  if (n > fileBytes - 8)
    throw fail(`header length ${n} exceeds the file's remaining ${fileBytes - 8} bytes (truncated?)`);
  if (n < 2) throw fail(`header length ${n} is too short for a JSON object`);
  if (head.byteLength < 8 + n) throw fail(`only ${head.byteLength} of the header's ${8 + n} bytes were read`);
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(new Uint8Array(head, 8, n));
  } catch {
    throw fail('header is not valid UTF-8');
  }
  let header: unknown;
  try {
    header = JSON.parse(text);
  } catch (e) {
    throw fail(`header is not valid JSON (${e instanceof Error ? e.message : String(e)})`);
  }
  if (!isObject(header)) throw fail('header is not a JSON object');
  const dataStart = 8 + n;
  const dataLen = fileBytes - dataStart;
  const infos = new Map<string, SafetensorsInfo>();
  let metadata: Record<string, unknown> = {};
  for (const [name, v] of Object.entries(header)) {
    if (name === '__metadata__') {
      if (!isObject(v)) throw fail('__metadata__ is not a JSON object');
      metadata = v;
      continue;
    }
    const info = validateEntry(name, v, dataLen, fail);
    infos.set(name, { ...info, begin: dataStart + info.begin, end: dataStart + info.end });
  }
  const sorted = [...infos.entries()]
    .filter(([, i]) => i.end > i.begin)
    .sort((a, b) => a[1].begin - b[1].begin);
  for (let i = 1; i < sorted.length; i++) {
    const [pn, p] = sorted[i - 1];
    const [cn, c] = sorted[i];
    if (c.begin < p.end)
      throw fail(
        `data bytes [${c.begin - dataStart}, ${c.end - dataStart}) overlap tensor "${pn}" [${p.begin - dataStart}, ${p.end - dataStart})`,
        cn,
      );
  }
  return { infos, metadata, headerBytes: dataStart };
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function validateEntry(
  name: string,
  v: unknown,
  dataLen: number,
  fail: (detail: string, tensor?: string | null) => SafetensorsError,
): SafetensorsInfo {
  if (!isObject(v)) throw fail('entry is not a JSON object', name);
  const { dtype, shape, data_offsets: offsets } = v;
  if (typeof dtype !== 'string') throw fail('missing "dtype"', name);
  if (!(dtype in BYTES)) {
    const why = KNOWN_UNSUPPORTED.has(dtype) ? 'is not supported' : 'is unknown';
    throw fail(`dtype ${dtype} ${why} (supported: F32, F16, BF16)`, name);
  }
  if (!Array.isArray(shape)) throw fail('"shape" is not an array', name);
  let count = 1;
  for (const d of shape) {
    if (typeof d !== 'number' || !Number.isSafeInteger(d) || d < 0)
      throw fail(`shape [${shape.join(', ')}] has a dimension that is not an integer >= 0`, name);
    count *= d;
    if (!Number.isSafeInteger(count)) throw fail(`shape [${shape.join(', ')}] is too large`, name);
  }
  if (!Array.isArray(offsets) || offsets.length !== 2)
    throw fail('"data_offsets" is not a [begin, end] pair', name);
  const [begin, end] = offsets as unknown[];
  if (
    typeof begin !== 'number' ||
    typeof end !== 'number' ||
    !Number.isSafeInteger(begin) ||
    !Number.isSafeInteger(end) ||
    begin < 0 ||
    end < begin
  ) {
    throw fail(
      `data_offsets [${String(begin)}, ${String(end)}] are not integers with 0 <= begin <= end`,
      name,
    );
  }
  if (end > dataLen)
    throw fail(
      `data_offsets [${begin}, ${end}] run past the end of the data section (${dataLen} bytes; truncated file?)`,
      name,
    );
  const size = BYTES[dtype as SafetensorsDType];
  if (end - begin !== count * size) {
    throw fail(
      `data_offsets [${begin}, ${end}] hold ${end - begin} bytes but ${dtype} [${shape.join(', ')}] needs ${count * size}`,
      name,
    );
  }
  return { dtype: dtype as SafetensorsDType, shape: shape as number[], begin, end };
}

/** Reads every tensor (as f32). Throws a SafetensorsError, and returns nothing, on any problem. */
export function parseSafetensors(
  buf: ArrayBuffer,
  file = 'model.safetensors',
  opts: SafetensorsOptions = {},
): Map<string, SafetensorsTensor> {
  const f = SafetensorsFile.open(buf, file, opts);
  const out = new Map<string, SafetensorsTensor>();
  for (const name of f.names) out.set(name, f.get(name));
  return out;
}

export interface WritableTensor {
  readonly shape: readonly number[];
  readonly data: Float32Array;
  /** storage dtype (default F32); F16/BF16 round to nearest even */
  readonly dtype?: SafetensorsDType;
}

/** A tensor's stored bytes (F32 as is; F16/BF16 rounded to nearest even). */
export function tensorBytes(name: string, t: WritableTensor): Uint8Array {
  const dtype = t.dtype ?? 'F32';
  const count = t.shape.reduce((a, b) => a * b, 1);
  if (count !== t.data.length)
    throw new Error(
      `writeSafetensors: "${name}" has ${t.data.length} values for shape [${t.shape.join(', ')}]`,
    );
  if (dtype === 'F32') return new Uint8Array(t.data.slice().buffer);
  const conv = dtype === 'F16' ? f32ToF16 : f32ToBf16;
  return new Uint8Array(Uint16Array.from(t.data, (x) => conv(x)).buffer);
}

/**
 * The first bytes of a safetensors file (length + JSON header padded to 8 bytes) for tensors written in
 * this order with these shapes and dtypes; the data section follows, tensor after tensor.
 */
export function safetensorsHeader(
  entries: readonly { name: string; shape: readonly number[]; dtype?: SafetensorsDType }[],
  metadata?: Record<string, string>,
): { head: Uint8Array; dataBytes: number } {
  const header: Record<string, unknown> = {};
  if (metadata) header.__metadata__ = metadata;
  let offset = 0;
  for (const e of entries) {
    const dtype = e.dtype ?? 'F32';
    const bytes = e.shape.reduce((a, b) => a * b, 1) * BYTES[dtype];
    header[e.name] = { dtype, shape: [...e.shape], data_offsets: [offset, offset + bytes] };
    offset += bytes;
  }
  let json = JSON.stringify(header);
  const raw = new TextEncoder().encode(json);
  json += ' '.repeat((8 - (raw.length % 8)) % 8);
  const text = new TextEncoder().encode(json);
  const head = new Uint8Array(8 + text.length);
  new DataView(head.buffer).setUint32(0, text.length, true);
  head.set(text, 8);
  return { head, dataBytes: offset };
}

/** Serialises tensors (in the given order) into a safetensors file; header padded to 8 bytes. */
export function writeSafetensors(
  tensors: Map<string, WritableTensor> | Record<string, WritableTensor>,
  metadata?: Record<string, string>,
): ArrayBuffer {
  const entries = tensors instanceof Map ? [...tensors.entries()] : Object.entries(tensors);
  const parts = entries.map(([name, t]) => tensorBytes(name, t));
  const { head, dataBytes } = safetensorsHeader(
    entries.map(([name, t]) => ({ name, shape: t.shape, dtype: t.dtype })),
    metadata,
  );
  const out = new Uint8Array(head.length + dataBytes);
  out.set(head, 0);
  let p = head.length;
  for (const b of parts) {
    out.set(b, p);
    p += b.length;
  }
  return out.buffer;
}
