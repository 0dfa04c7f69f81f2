/**
 * A small, validating reader for TF.js graph-model files (model.json + binary weight shards).
 * It parses the topology (node names, ops, inputs) and slices the weight tensors out of the shards,
 * checking names, shapes, dtypes and byte lengths; every error names the file or the tensor.
 * Supported weight dtypes: float32 and int32, unquantised (what USE-lite ships).
 */

export type WeightDType = 'float32' | 'int32';

export interface GraphNode {
  readonly name: string;
  readonly op: string;
  readonly inputs: readonly string[];
}

export interface WeightSpec {
  readonly name: string;
  readonly shape: readonly number[];
  readonly dtype: WeightDType;
}

export interface WeightGroup {
  readonly paths: readonly string[];
  readonly weights: readonly WeightSpec[];
}

/** The parsed model.json: its graph nodes and the weights manifest (shards not yet read). */
export interface TfjsModelJson {
  readonly nodes: readonly GraphNode[];
  readonly groups: readonly WeightGroup[];
}

export interface GraphTensor {
  readonly name: string;
  readonly shape: readonly number[];
  readonly dtype: WeightDType;
  readonly data: Float32Array | Int32Array;
}

export class GraphFormatError extends Error {
  constructor(file: string, detail: string) {
    super(`${file}: ${detail}`);
    this.name = 'GraphFormatError';
  }
}

const isObj = (x: unknown): x is Record<string, unknown> =>
  typeof x === 'object' && x !== null && !Array.isArray(x);

function parseSpec(file: string, w: unknown, where: string): WeightSpec {
  if (!isObj(w) || typeof w.name !== 'string' || !w.name)
    throw new GraphFormatError(file, `${where}: weight entry without a name`);
  const name = w.name;
  if (w.quantization !== undefined)
    throw new GraphFormatError(file, `tensor "${name}": quantised weights are not supported`);
  if (w.dtype !== 'float32' && w.dtype !== 'int32') {
    throw new GraphFormatError(
      file,
      `tensor "${name}": dtype ${JSON.stringify(w.dtype)} is not supported (float32, int32)`,
    );
  }
  const shape = w.shape;
  if (!Array.isArray(shape) || !shape.every((d) => Number.isInteger(d) && (d as number) >= 0)) {
    throw new GraphFormatError(
      file,
      `tensor "${name}": shape ${JSON.stringify(shape)} is not a list of non-negative integers`,
    );
  }
  return { name, shape: shape as number[], dtype: w.dtype };
}

/** Parses and validates model.json text (a TF.js "graph-model"). */
export function parseModelJson(text: string, file = 'model.json'): TfjsModelJson {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new GraphFormatError(file, `not valid JSON (${e instanceof Error ? e.message : String(e)})`);
  }
  if (!isObj(json)) throw new GraphFormatError(file, 'top level is not an object');
  const topo = json.modelTopology;
  if (!isObj(topo) || !Array.isArray(topo.node))
    throw new GraphFormatError(file, 'modelTopology.node is missing: not a TF.js graph model');
  const nodes: GraphNode[] = topo.node.map((n: unknown, i: number) => {
    if (!isObj(n) || typeof n.name !== 'string' || typeof n.op !== 'string') {
      throw new GraphFormatError(file, `modelTopology.node[${i}] has no name or op`);
    }
    const inputs = Array.isArray(n.input) ? n.input.filter((x): x is string => typeof x === 'string') : [];
    return { name: n.name, op: n.op, inputs };
  });
  const manifest = json.weightsManifest;
  if (!Array.isArray(manifest) || manifest.length === 0)
    throw new GraphFormatError(file, 'weightsManifest is missing or empty');
  const seen = new Set<string>();
  const groups: WeightGroup[] = manifest.map((g: unknown, gi: number) => {
    if (!isObj(g) || !Array.isArray(g.paths) || !Array.isArray(g.weights)) {
      throw new GraphFormatError(file, `weightsManifest[${gi}] needs "paths" and "weights" arrays`);
    }
    const paths = g.paths.map((p: unknown) => {
      // shard names are plain relative file names: refuse anything that could walk out of the model folder
      if (typeof p !== 'string' || !p || p.includes('..') || p.startsWith('/') || p.includes('\\')) {
        throw new GraphFormatError(file, `weightsManifest[${gi}]: bad shard path ${JSON.stringify(p)}`);
      }
      return p;
    });
    const weights = g.weights.map((w: unknown, wi: number) => {
      const spec = parseSpec(file, w, `weightsManifest[${gi}].weights[${wi}]`);
      if (seen.has(spec.name)) throw new GraphFormatError(file, `tensor "${spec.name}" is listed twice`);
      seen.add(spec.name);
      return spec;
    });
    return { paths, weights };
  });
  return { nodes, groups };
}

/** Every shard file the manifest names, in manifest order. */
export function shardPaths(model: TfjsModelJson): string[] {
  return model.groups.flatMap((g) => [...g.paths]);
}

/** A graph with its weights sliced out of the shards. */
export class TfjsGraph {
  private readonly nodeByName = new Map<string, GraphNode>();
  private readonly tensorByName = new Map<string, GraphTensor>();

  constructor(
    readonly file: string,
    model: TfjsModelJson,
    tensors: readonly GraphTensor[],
  ) {
    for (const n of model.nodes) this.nodeByName.set(n.name, n);
    for (const t of tensors) this.tensorByName.set(t.name, t);
  }

  get tensorNames(): string[] {
    return [...this.tensorByName.keys()];
  }

  /** The node named `name`; throws unless it exists with op `op` (and, when given, exactly these inputs). */
  node(name: string, op: string, inputs?: readonly string[]): GraphNode {
    const n = this.nodeByName.get(name);
    if (!n)
      throw new GraphFormatError(this.file, `node "${name}" (${op}) is missing: unexpected graph structure`);
    if (n.op !== op) throw new GraphFormatError(this.file, `node "${name}" is ${n.op}, expected ${op}`);
    if (inputs && (n.inputs.length !== inputs.length || n.inputs.some((x, i) => x !== inputs[i]))) {
      throw new GraphFormatError(
        this.file,
        `node "${name}" reads [${n.inputs.join(', ')}], expected [${inputs.join(', ')}]`,
      );
    }
    return n;
  }

  hasNode(name: string): boolean {
    return this.nodeByName.has(name);
  }

  /** The weight `name`, checked against the expected shape and dtype. */
  tensor(name: string, shape: readonly number[], dtype: WeightDType = 'float32'): GraphTensor {
    const t = this.tensorByName.get(name);
    if (!t) throw new GraphFormatError(this.file, `tensor "${name}" is missing from the weights manifest`);
    if (t.dtype !== dtype)
      throw new GraphFormatError(this.file, `tensor "${name}" is ${t.dtype}, expected ${dtype}`);
    if (t.shape.length !== shape.length || t.shape.some((d, i) => d !== shape[i])) {
      throw new GraphFormatError(
        this.file,
        `tensor "${name}" has shape [${t.shape.join(',')}], expected [${shape.join(',')}]`,
      );
    }
    return t;
  }

  f32(name: string, shape: readonly number[]): Float32Array {
    return this.tensor(name, shape, 'float32').data as Float32Array;
  }

  /** A scalar constant stored as a weight (TF.js keeps graph constants in the shards). */
  scalar(name: string, dtype: WeightDType = 'float32'): number {
    return this.tensor(name, [], dtype).data[0];
  }
}

/**
 * Slices every manifest tensor out of its group's shards (concatenated in manifest order).
 * `shards` holds one buffer per path of shardPaths(model), in that order.
 */
export function readGraph(
  model: TfjsModelJson,
  shards: readonly ArrayBuffer[],
  file = 'model.json',
): TfjsGraph {
  const expected = shardPaths(model);
  if (shards.length !== expected.length) {
    throw new GraphFormatError(
      file,
      `${shards.length} shard buffers given, the manifest lists ${expected.length}`,
    );
  }
  const tensors: GraphTensor[] = [];
  let shardIndex = 0;
  for (const g of model.groups) {
    const parts = shards.slice(shardIndex, shardIndex + g.paths.length);
    shardIndex += g.paths.length;
    const total = parts.reduce((s, b) => s + b.byteLength, 0);
    const bytes = new Uint8Array(total);
    let o = 0;
    for (const b of parts) {
      bytes.set(new Uint8Array(b), o);
      o += b.byteLength;
    }
    let offset = 0;
    for (const w of g.weights) {
      const n = w.shape.reduce((a, b) => a * b, 1);
      const end = offset + n * 4;
      if (end > total) {
        throw new GraphFormatError(
          file,
          `tensor "${w.name}" needs bytes ${offset}..${end} but shards ${g.paths.join(', ')} hold only ${total} bytes (truncated download?)`,
        );
      }
      // copy: the views stay valid and aligned whatever happens to the shard buffers
      const slice = bytes.slice(offset, end).buffer;
      tensors.push({ ...w, data: w.dtype === 'float32' ? new Float32Array(slice) : new Int32Array(slice) });
      offset = end;
    }
    if (offset !== total) {
      throw new GraphFormatError(
        file,
        `shards ${g.paths.join(', ')} hold ${total} bytes, the manifest accounts for ${offset}`,
      );
    }
  }
  return new TfjsGraph(file, model, tensors);
}
