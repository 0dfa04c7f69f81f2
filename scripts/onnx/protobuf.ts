/**
 * A minimal protobuf writer for the parts of onnx.proto the tiny-model generator needs.
 * Field numbers follow onnx/onnx.proto (IR version 8): ModelProto, GraphProto, NodeProto, AttributeProto,
 * TensorProto, ValueInfoProto, TypeProto, TensorShapeProto, OperatorSetIdProto.
 */

/** Growable byte sink with protobuf wire-format primitives. */
export class PbWriter {
  private buf = new Uint8Array(256);
  private len = 0;

  private ensure(n: number): void {
    if (this.len + n <= this.buf.length) return;
    let cap = this.buf.length * 2;
    while (cap < this.len + n) cap *= 2;
    const next = new Uint8Array(cap);
    next.set(this.buf.subarray(0, this.len));
    this.buf = next;
  }

  /** unsigned varint; negative int64 values are written as 10-byte two's complement */
  varint(v: number | bigint): this {
    let x = BigInt.asUintN(64, BigInt(v));
    this.ensure(10);
    do {
      let byte = Number(x & 0x7fn);
      x >>= 7n;
      if (x !== 0n) byte |= 0x80;
      this.buf[this.len++] = byte;
    } while (x !== 0n);
    return this;
  }

  private tag(field: number, wire: 0 | 1 | 2 | 5): this {
    return this.varint((field << 3) | wire);
  }

  int(field: number, v: number | bigint): this {
    return this.tag(field, 0).varint(v);
  }

  float(field: number, v: number): this {
    this.tag(field, 5);
    this.ensure(4);
    new DataView(this.buf.buffer, this.buf.byteOffset + this.len, 4).setFloat32(0, v, true);
    this.len += 4;
    return this;
  }

  bytes(field: number, b: Uint8Array): this {
    this.tag(field, 2).varint(b.length);
    this.ensure(b.length);
    this.buf.set(b, this.len);
    this.len += b.length;
    return this;
  }

  string(field: number, s: string): this {
    return this.bytes(field, new TextEncoder().encode(s));
  }

  message(field: number, m: PbWriter): this {
    return this.bytes(field, m.finish());
  }

  /** packed repeated int64 */
  packedInts(field: number, vs: readonly number[]): this {
    const inner = new PbWriter();
    for (const v of vs) inner.varint(v);
    return this.bytes(field, inner.finish());
  }

  finish(): Uint8Array {
    return this.buf.slice(0, this.len);
  }
}

/** onnx TensorProto.DataType values used here */
export const DT = { FLOAT: 1, INT32: 6, INT64: 7, BOOL: 9 } as const;
export type DataType = (typeof DT)[keyof typeof DT];

export type AttrValue =
  | { kind: 'int'; v: number }
  | { kind: 'float'; v: number }
  | { kind: 'ints'; v: readonly number[] }
  | { kind: 'string'; v: string };

export interface NodeDef {
  readonly opType: string;
  readonly inputs: readonly string[];
  readonly outputs: readonly string[];
  readonly name: string;
  readonly attrs: Readonly<Record<string, AttrValue>>;
}

export interface TensorDef {
  readonly name: string;
  readonly dataType: DataType;
  readonly dims: readonly number[];
  /** little-endian raw bytes (empty when the data is external) */
  readonly raw: Uint8Array;
  /** the data lives in a file beside the model (ONNX external data): its name, byte offset and length */
  readonly external?: ExternalRef;
}

export interface ExternalRef {
  readonly location: string;
  readonly offset: number;
  readonly length: number;
}

export interface ValueInfoDef {
  readonly name: string;
  readonly elemType: DataType;
  /** a number is a fixed dim, a string a symbolic one ("batch", "sequence") */
  readonly dims: readonly (number | string)[];
}

export interface GraphDef {
  readonly name: string;
  readonly nodes: readonly NodeDef[];
  readonly initializers: readonly TensorDef[];
  readonly inputs: readonly ValueInfoDef[];
  readonly outputs: readonly ValueInfoDef[];
}

// AttributeProto.AttributeType
const ATTR_TYPE = { float: 1, int: 2, string: 3, ints: 7 } as const;

function encodeAttr(name: string, a: AttrValue): PbWriter {
  const w = new PbWriter().string(1, name);
  if (a.kind === 'float') w.float(2, a.v);
  else if (a.kind === 'int') w.int(3, a.v);
  else if (a.kind === 'string') w.string(4, a.v);
  else for (const v of a.v) w.int(8, v); // ints = 8 (repeated int64, unpacked is always accepted)
  return w.int(20, ATTR_TYPE[a.kind]);
}

function encodeNode(n: NodeDef): PbWriter {
  const w = new PbWriter();
  for (const i of n.inputs) w.string(1, i);
  for (const o of n.outputs) w.string(2, o);
  w.string(3, n.name).string(4, n.opType);
  for (const [k, a] of Object.entries(n.attrs)) w.message(5, encodeAttr(k, a));
  return w;
}

function encodeTensor(t: TensorDef): PbWriter {
  const w = new PbWriter();
  for (const d of t.dims) w.int(1, d); // dims = 1
  w.int(2, t.dataType).string(8, t.name); // data_type = 2, name = 8
  if (!t.external) return w.bytes(9, t.raw); // raw_data = 9
  const entry = (k: string, v: string) => new PbWriter().string(1, k).string(2, v); // StringStringEntryProto
  const { location, offset, length } = t.external;
  w.message(13, entry('location', location)); // external_data = 13
  w.message(13, entry('offset', String(offset)));
  w.message(13, entry('length', String(length)));
  return w.int(14, 1); // data_location = EXTERNAL
}

function encodeValueInfo(v: ValueInfoDef): PbWriter {
  const shape = new PbWriter();
  for (const d of v.dims) {
    const dim = new PbWriter();
    if (typeof d === 'number')
      dim.int(1, d); // dim_value
    else dim.string(2, d); // dim_param
    shape.message(1, dim);
  }
  const tensorType = new PbWriter().int(1, v.elemType).message(2, shape); // elem_type, shape
  const type = new PbWriter().message(1, tensorType); // TypeProto.tensor_type
  return new PbWriter().string(1, v.name).message(2, type);
}

function encodeGraph(g: GraphDef): PbWriter {
  const w = new PbWriter();
  for (const n of g.nodes) w.message(1, encodeNode(n));
  w.string(2, g.name);
  for (const t of g.initializers) w.message(5, encodeTensor(t));
  for (const i of g.inputs) w.message(11, encodeValueInfo(i));
  for (const o of g.outputs) w.message(12, encodeValueInfo(o));
  return w;
}

/** Serialises a ModelProto: ir_version 8, default-domain opset `opset` (17). */
export function encodeModel(g: GraphDef, opts: { opset?: number; producer?: string } = {}): Uint8Array {
  const opsetId = new PbWriter().string(1, '').int(2, opts.opset ?? 17);
  return new PbWriter()
    .int(1, 8) // ir_version
    .string(2, opts.producer ?? 'stm-studio tiny-model generator') // producer_name
    .string(3, '1') // producer_version
    .message(7, encodeGraph(g)) // graph
    .message(8, opsetId) // opset_import
    .finish();
}
