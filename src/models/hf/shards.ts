/**
 * Sharded safetensors checkpoints (model.safetensors.index.json + model-0000k-of-0000n.safetensors, as
 * transformers' save_pretrained writes a large model): the shards are checked and packed into one
 * in-memory safetensors buffer, so the loader reads a sharded model like a single-file one.
 */
import { SafetensorsError, SafetensorsFile } from './safetensors';

export const SHARD_INDEX = 'model.safetensors.index.json';
/** Node reads at most this many bytes of one file with readFile (ERR_FS_FILE_TOO_LARGE beyond). */
export const MAX_FILE_BYTES = 2 ** 31 - 1;

/** The shard file names an index lists (each once, in order of first use), checked to be plain names. */
export function shardNames(indexText: string, indexFile: string): string[] {
  let idx: unknown;
  try {
    idx = JSON.parse(indexText);
  } catch (e) {
    throw new SafetensorsError(indexFile, null, `not valid JSON (${(e as Error).message})`);
  }
  const map = (idx as { weight_map?: unknown } | null)?.weight_map;
  if (typeof map !== 'object' || map === null || Array.isArray(map))
    throw new SafetensorsError(indexFile, null, 'has no "weight_map" object');
  const names = [...new Set(Object.values(map as Record<string, unknown>))];
  for (const n of names)
    if (typeof n !== 'string' || !/^[\w.-]+\.safetensors$/.test(n))
      throw new SafetensorsError(
        indexFile,
        null,
        `"weight_map" names ${JSON.stringify(n)}, not a .safetensors file in the folder`,
      );
  if (names.length === 0) throw new SafetensorsError(indexFile, null, '"weight_map" is empty');
  return names as string[];
}

/** Packs shards into one safetensors buffer; a tensor in two shards is an error naming both. */
export function mergeShards(shards: readonly { file: string; buf: ArrayBuffer }[]): ArrayBuffer {
  const header: Record<string, unknown> = {};
  const parts: { src: Uint8Array; at: number }[] = [];
  const from = new Map<string, string>();
  let offset = 0;
  for (const { file, buf } of shards) {
    const f = SafetensorsFile.open(buf, file);
    for (const name of f.names) {
      const other = from.get(name);
      if (other) throw new SafetensorsError(file, name, `is also in ${other}`);
      from.set(name, file);
      const { dtype, shape, begin, end } = f.info(name);
      header[name] = { dtype, shape: [...shape], data_offsets: [offset, offset + end - begin] };
      parts.push({ src: new Uint8Array(buf, begin, end - begin), at: offset });
      offset += end - begin;
    }
  }
  let json = JSON.stringify(header);
  json += ' '.repeat((8 - (new TextEncoder().encode(json).length % 8)) % 8);
  const head = new TextEncoder().encode(json);
  const out = new Uint8Array(8 + head.length + offset);
  new DataView(out.buffer).setUint32(0, head.length, true);
  out.set(head, 8);
  for (const p of parts) out.set(p.src, 8 + head.length + p.at);
  return out.buffer;
}
