/**
 * Where a model's tensors come from: a TensorSource is a checkpoint whose header (names, dtypes, shapes,
 * byte ranges) is parsed up front and whose tensors are read one at a time, on demand, so a model never
 * holds a whole file in JS memory. Single files and sharded checkpoints (model.safetensors.index.json +
 * shards) look the same. Readers: an in-memory buffer (SafetensorsFile), a file on disk read at each
 * tensor's offset (Node: tensor-source-node.ts), a Blob (browser: picked files, cached downloads) read
 * with Blob.slice per tensor.
 */
import {
  parseSafetensorsHeader,
  SafetensorsError,
  SafetensorsFile,
  SafetensorsTensors,
  type SafetensorsInfo,
  type SafetensorsOptions,
  type SafetensorsTensor,
} from './safetensors';

/** A checkpoint's tensors, read lazily (f32 out, whatever the stored dtype). */
export interface TensorSource {
  /** the checkpoint's name for messages (the file, or the index of a sharded one) */
  readonly file: string;
  readonly names: string[];
  readonly metadata: Readonly<Record<string, unknown>>;
  has(name: string): boolean;
  /** dtype, shape and byte range (in its file) of a tensor; throws naming the file for an unknown one */
  info(name: string): SafetensorsInfo;
  /** the file that holds the tensor (a shard of a sharded checkpoint) */
  fileOf(name: string): string;
  /** the tensor converted to f32 (read now; a fresh array) */
  get(name: string): SafetensorsTensor;
  /** `count` rows from `row` of a tensor seen as [shape[0], rest] */
  getRows(name: string, row: number, count: number): Float32Array;
}

/** Synchronous reads of byte ranges of one file. */
export interface ByteReader {
  readonly size: number;
  read(begin: number, end: number): ArrayBuffer;
}

/** One safetensors file behind a ByteReader: the header is parsed once, each tensor read when asked. */
export class ReaderSource extends SafetensorsTensors implements TensorSource {
  private constructor(
    file: string,
    private readonly reader: ByteReader,
    infos: Map<string, SafetensorsInfo>,
    metadata: Readonly<Record<string, unknown>>,
    opts: SafetensorsOptions,
  ) {
    super(file, infos, metadata, opts);
  }

  /** Reads and validates the header (its first 8 bytes, then the JSON), nothing else. */
  static open(reader: ByteReader, file: string, opts: SafetensorsOptions = {}): ReaderSource {
    const size = reader.size;
    const len = size >= 8 ? new DataView(reader.read(0, 8)) : null;
    const n = len ? len.getUint32(4, true) * 2 ** 32 + len.getUint32(0, true) : 0;
    // parseSafetensorsHeader judges n against the file size before the header is read
    const headLen = len && n <= size - 8 && n <= 100_000_000 ? 8 + n : Math.min(8, size);
    const { infos, metadata } = parseSafetensorsHeader(reader.read(0, headLen), size, file);
    return new ReaderSource(file, reader, infos, metadata, opts);
  }

  protected bytes(name: string, begin: number, end: number): ArrayBuffer {
    let bytes: ArrayBuffer;
    try {
      bytes = this.reader.read(begin, end);
    } catch (e) {
      throw new SafetensorsError(
        this.file,
        name,
        `cannot be read (${e instanceof Error ? e.message : String(e)})`,
      );
    }
    if (bytes.byteLength !== end - begin)
      throw new SafetensorsError(
        this.file,
        name,
        `read ${bytes.byteLength} of bytes [${begin}, ${end}) (file truncated or changed since its header was read?)`,
      );
    return bytes;
  }
}

/** Bytes of every tensor of a source as stored (the download / disk size of the weights). */
export function storedBytes(src: TensorSource): number {
  let n = 0;
  for (const name of src.names) {
    const i = src.info(name);
    n += i.end - i.begin;
  }
  return n;
}

/** An in-memory safetensors buffer as a source (the buffer is the file). */
export function bufferSource(buf: ArrayBuffer, file: string, opts: SafetensorsOptions = {}): TensorSource {
  return SafetensorsFile.open(buf, file, opts);
}

/** Synchronous reads of a Blob: FileReaderSync where there is one (dedicated workers), per slice. */
type FileReaderSyncCtor = new () => { readAsArrayBuffer(b: Blob): ArrayBuffer };

/**
 * A Blob (a picked File, a download kept as a Blob or a Cache API response's blob) as a source: the header
 * is read now; each tensor is read with Blob.slice when asked (FileReaderSync, in the studio's worker).
 * Where the runtime has no synchronous Blob reads (a page's main thread, Node) the Blob is read whole once.
 */
export async function blobSource(
  blob: Blob,
  file: string,
  opts: SafetensorsOptions = {},
): Promise<TensorSource> {
  const Sync = (globalThis as { FileReaderSync?: FileReaderSyncCtor }).FileReaderSync;
  if (!Sync) return SafetensorsFile.open(await blob.arrayBuffer(), file, opts);
  const fr = new Sync();
  return ReaderSource.open(
    { size: blob.size, read: (begin, end) => fr.readAsArrayBuffer(blob.slice(begin, end)) },
    file,
    opts,
  );
}
