/** A small ONNX graph builder: named values, initializers, and the compound blocks the tiny models use. */
import {
  DT,
  encodeModel,
  type AttrValue,
  type DataType,
  type ExternalRef,
  type NodeDef,
  type TensorDef,
  type ValueInfoDef,
} from './protobuf';

type Attrs = Record<string, AttrValue>;

export const ints = (v: readonly number[]): AttrValue => ({ kind: 'ints', v });
export const int = (v: number): AttrValue => ({ kind: 'int', v });

function rawF32(data: Float32Array): Uint8Array {
  return new Uint8Array(data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength));
}

function rawI64(data: readonly number[]): Uint8Array {
  const a = new BigInt64Array(data.map((x) => BigInt(x)));
  return new Uint8Array(a.buffer);
}

/** Where large initializers go instead of the .onnx file (ONNX external data): writes bytes, says where. */
export type ExternalSink = (bytes: Uint8Array) => ExternalRef;

/** initializers of at least this many bytes go to the external sink, when there is one */
const EXTERNAL_MIN_BYTES = 4096;

export class GraphBuilder {
  private readonly nodes: NodeDef[] = [];
  private readonly inits: TensorDef[] = [];
  private readonly inputs: ValueInfoDef[] = [];
  private readonly outputs: ValueInfoDef[] = [];
  private readonly constCache = new Map<string, string>();
  private counter = 0;

  constructor(
    readonly name: string,
    private readonly external?: ExternalSink,
  ) {}

  input(name: string, elemType: DataType, dims: (number | string)[]): string {
    this.inputs.push({ name, elemType, dims });
    return name;
  }

  output(value: string, name: string, elemType: DataType, dims: (number | string)[]): void {
    this.op('Identity', [value], {}, name);
    this.outputs.push({ name, elemType, dims });
  }

  /** a float initializer; data is copied (or written to the external sink at once) */
  f32(name: string, data: Float32Array, dims: readonly number[]): string {
    const n = dims.reduce((a, b) => a * b, 1);
    if (n !== data.length) throw new Error(`initializer ${name}: ${data.length} values for dims [${dims}]`);
    if (this.external && data.byteLength >= EXTERNAL_MIN_BYTES) {
      const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
      const external = this.external(bytes);
      this.inits.push({ name, dataType: DT.FLOAT, dims: [...dims], raw: new Uint8Array(0), external });
    } else this.inits.push({ name, dataType: DT.FLOAT, dims: [...dims], raw: rawF32(data) });
    return name;
  }

  /** shared scalar float constant (0-d) */
  scalar(v: number): string {
    const key = `f:${v}`;
    let name = this.constCache.get(key);
    if (!name) {
      name = this.f32(`const_f_${this.constCache.size}`, new Float32Array([v]), []);
      this.constCache.set(key, name);
    }
    return name;
  }

  /** shared 1-D int64 constant */
  i64(vs: readonly number[]): string {
    const key = `i:${vs.join(',')}`;
    let name = this.constCache.get(key);
    if (!name) {
      name = `const_i_${this.constCache.size}`;
      this.inits.push({ name, dataType: DT.INT64, dims: [vs.length], raw: rawI64(vs) });
      this.constCache.set(key, name);
    }
    return name;
  }

  /** appends a node with one output and returns the output's name */
  op(opType: string, inputs: string[], attrs: Attrs = {}, outName?: string): string {
    const id = this.counter++;
    const out = outName ?? `${opType.toLowerCase()}_${id}`;
    this.nodes.push({ opType, inputs, outputs: [out], name: `${opType}_${id}`, attrs });
    return out;
  }

  // ---- compound blocks ----

  /** x [..., K] @ wT [K, N] (+ b [N]); wT is stored transposed from PyTorch's [N, K] */
  linear(x: string, name: string, w: Float32Array, outF: number, inF: number, bias?: Float32Array): string {
    const wt = new Float32Array(inF * outF);
    for (let o = 0; o < outF; o++) for (let i = 0; i < inF; i++) wt[i * outF + o] = w[o * inF + i];
    const y = this.op('MatMul', [x, this.f32(`${name}.weight_t`, wt, [inF, outF])]);
    return bias ? this.op('Add', [y, this.f32(`${name}.bias`, bias, [outF])]) : y;
  }

  /** LayerNorm over the last axis from primitive ops (biased variance) */
  layerNorm(x: string, name: string, gamma: Float32Array, beta: Float32Array, eps: number): string {
    const mean = this.op('ReduceMean', [x], { axes: ints([-1]), keepdims: int(1) });
    const d = this.op('Sub', [x, mean]);
    const v = this.op('ReduceMean', [this.op('Pow', [d, this.scalar(2)])], {
      axes: ints([-1]),
      keepdims: int(1),
    });
    const n = this.op('Div', [d, this.op('Sqrt', [this.op('Add', [v, this.scalar(eps)])])]);
    const g = this.op('Mul', [n, this.f32(`${name}.weight`, gamma, [gamma.length])]);
    return this.op('Add', [g, this.f32(`${name}.bias`, beta, [beta.length])]);
  }

  /** RMSNorm over the last axis: x / sqrt(mean(x^2) + eps) * w */
  rmsNorm(x: string, name: string, w: Float32Array, eps: number): string {
    const ms = this.op('ReduceMean', [this.op('Mul', [x, x])], { axes: ints([-1]), keepdims: int(1) });
    const n = this.op('Div', [x, this.op('Sqrt', [this.op('Add', [ms, this.scalar(eps)])])]);
    return this.op('Mul', [n, this.f32(`${name}.weight`, w, [w.length])]);
  }

  /** exact GELU: 0.5 x (1 + erf(x / sqrt 2)) */
  gelu(x: string): string {
    const e = this.op('Erf', [this.op('Div', [x, this.scalar(Math.SQRT2)])]);
    return this.op('Mul', [this.op('Mul', [x, this.scalar(0.5)]), this.op('Add', [e, this.scalar(1)])]);
  }

  silu(x: string): string {
    return this.op('Mul', [x, this.op('Sigmoid', [x])]);
  }

  /** [B,T] int64 mask -> additive float bias [B,1,1,T]: 0 where mask is 1, -1e9 where 0 */
  paddingBias(mask: string): string {
    const isPad = this.op('Equal', [mask, this.i64Scalar(0)]);
    const bias = this.op('Where', [isPad, this.scalar(-1e9), this.scalar(0)]);
    return this.op('Unsqueeze', [bias, this.i64([1, 2])]);
  }

  /** 0-d int64 constant */
  i64Scalar(v: number): string {
    const key = `is:${v}`;
    let name = this.constCache.get(key);
    if (!name) {
      name = `const_is_${this.constCache.size}`;
      this.inits.push({ name, dataType: DT.INT64, dims: [], raw: rawI64([v]) });
      this.constCache.set(key, name);
    }
    return name;
  }

  /** the sequence length of a [B,T] input as a 1-D int64 [1] */
  seqLen(ids: string): string {
    return this.op('Gather', [this.op('Shape', [ids]), this.i64([1])], { axis: int(0) });
  }

  /** rows 0..T-1 of table (axis 0) and, with cols, columns 0..T-1 (axis 1) */
  sliceLeading(table: string, t: string, both = false): string {
    if (!both) return this.op('Slice', [table, this.i64([0]), t, this.i64([0])]);
    const tt = this.op('Concat', [t, t], { axis: int(0) });
    return this.op('Slice', [table, this.i64([0, 0]), tt, this.i64([0, 1])]);
  }

  encode(): Uint8Array {
    return encodeModel({
      name: this.name,
      nodes: this.nodes,
      initializers: this.inits,
      inputs: this.inputs,
      outputs: this.outputs,
    });
  }
}
