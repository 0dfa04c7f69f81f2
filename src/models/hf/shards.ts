/**
 * Sharded safetensors checkpoints (model.safetensors.index.json + model-0000k-of-0000n.safetensors, as
 * transformers' save_pretrained writes a large model): the index is parsed and checked, and the shards,
 * each a TensorSource read tensor by tensor, are joined into one source (nothing is packed or copied).
 */
import { SafetensorsError, type SafetensorsInfo, type SafetensorsTensor } from './safetensors';
import type { TensorSource } from './tensor-source';

export const SHARD_INDEX = 'model.safetensors.index.json';

/** A sharded checkpoint's index: the shard of each tensor and the total size it declares (if any). */
export interface ShardIndex {
  readonly file: string;
  /** tensor name -> shard file name */
  readonly weightMap: ReadonlyMap<string, string>;
  /** the shard file names, each once, in order of first use */
  readonly shards: readonly string[];
  /** metadata.total_size: the bytes of all tensors, when the index says */
  readonly totalSize: number | null;
}

/** Parses model.safetensors.index.json; shard names must be plain .safetensors file names. */
export function parseShardIndex(indexText: string, indexFile: string): ShardIndex {
  let idx: unknown;
  try {
    idx = JSON.parse(indexText);
  } catch (e) {
    throw new SafetensorsError(indexFile, null, `not valid JSON (${(e as Error).message})`);
  }
  const map = (idx as { weight_map?: unknown } | null)?.weight_map;
  if (typeof map !== 'object' || map === null || Array.isArray(map))
    throw new SafetensorsError(indexFile, null, 'has no "weight_map" object');
  const weightMap = new Map<string, string>();
  for (const [name, n] of Object.entries(map as Record<string, unknown>)) {
    if (typeof n !== 'string' || !/^[\w.-]+\.safetensors$/.test(n))
      throw new SafetensorsError(
        indexFile,
        name,
        `"weight_map" names ${JSON.stringify(n)}, not a .safetensors file in the folder`,
      );
    weightMap.set(name, n);
  }
  if (weightMap.size === 0) throw new SafetensorsError(indexFile, null, '"weight_map" is empty');
  const total = (idx as { metadata?: { total_size?: unknown } }).metadata?.total_size;
  return {
    file: indexFile,
    weightMap,
    shards: [...new Set(weightMap.values())],
    totalSize: typeof total === 'number' && Number.isFinite(total) && total >= 0 ? total : null,
  };
}

/**
 * Shards joined into one source: every tensor of every shard, each in exactly one shard (a tensor in two
 * shards is an error naming both files); a tensor the index places in another shard than the one holding
 * it, or one the index lists but no shard holds, is an error naming the index, the tensor and the shard.
 */
export class ShardedSource implements TensorSource {
  private readonly where = new Map<string, TensorSource>();
  readonly metadata: Readonly<Record<string, unknown>>;

  constructor(
    readonly index: ShardIndex,
    /** the shards, keyed by their file name in the index */
    shards: ReadonlyMap<string, TensorSource>,
  ) {
    this.metadata = shards.get(index.shards[0])?.metadata ?? {};
    for (const name of index.shards)
      if (!shards.has(name))
        throw new SafetensorsError(index.file, null, `shard ${name} is listed but was not opened`);
    for (const [shardName, s] of shards) {
      for (const t of s.names) {
        const other = this.where.get(t);
        if (other) throw new SafetensorsError(s.file, t, `is also in ${other.file}`);
        const listed = index.weightMap.get(t);
        if (listed !== undefined && listed !== shardName)
          throw new SafetensorsError(index.file, t, `is listed in shard ${listed} but found in ${s.file}`);
        this.where.set(t, s);
      }
    }
    for (const [t, shardName] of index.weightMap)
      if (!this.where.has(t))
        throw new SafetensorsError(shards.get(shardName)!.file, t, `missing (listed in ${index.file})`);
  }

  get file(): string {
    return this.index.file;
  }

  get names(): string[] {
    return [...this.where.keys()];
  }

  has(name: string): boolean {
    return this.where.has(name);
  }

  private shard(name: string): TensorSource {
    const s = this.where.get(name);
    if (!s) throw new SafetensorsError(this.index.file, name, 'no such tensor in any shard');
    return s;
  }

  info(name: string): SafetensorsInfo {
    return this.shard(name).info(name);
  }

  fileOf(name: string): string {
    return this.shard(name).file;
  }

  get(name: string): SafetensorsTensor {
    return this.shard(name).get(name);
  }

  getRows(name: string, row: number, count: number): Float32Array {
    return this.shard(name).getRows(name, row, count);
  }
}
