/**
 * Safetensors checkpoints on disk for `stm merge`, one tensor at a time: a reader that parses the header
 * and reads each tensor's bytes when asked (a model larger than memory still merges), and a writer that
 * writes the header first (every merged shape is known before any tensor is merged) and then appends each
 * merged tensor, through a temporary name renamed once complete.
 */
import { open, rename, rm, stat, type FileHandle } from 'node:fs/promises';
import type { TensorSource } from '../merge/checkpoint-merge';
import type { NamedTensor } from '../merge/types';
import { f32ToBf16, f32ToF16 } from '../models/hf/half';
import {
  decodeSafetensorsData,
  parseSafetensorsHeader,
  SafetensorsError,
  type SafetensorsDType,
  type SafetensorsInfo,
} from '../models/hf/safetensors';
import { TMP_SUFFIX } from '../util/fs-node';

export class SafetensorsFileReader implements TensorSource {
  private constructor(
    readonly file: string,
    private readonly fh: FileHandle,
    private readonly infos: Map<string, SafetensorsInfo>,
  ) {}

  static async open(path: string): Promise<SafetensorsFileReader> {
    const size = (await stat(path)).size;
    const fh = await open(path, 'r');
    try {
      const len = Buffer.alloc(8);
      await fh.read(len, 0, Math.min(8, size), 0);
      const n = Number(len.readBigUInt64LE(0));
      // parseSafetensorsHeader judges n against the file size before the header is read
      const headLen = size >= 8 && n <= size - 8 && n <= 100_000_000 ? 8 + n : 8;
      const head = Buffer.alloc(Math.min(headLen, size));
      await fh.read(head, 0, head.length, 0);
      const { infos } = parseSafetensorsHeader(
        head.buffer.slice(head.byteOffset, head.byteOffset + head.byteLength),
        size,
        path,
      );
      return new SafetensorsFileReader(path, fh, infos);
    } catch (e) {
      await fh.close();
      throw e;
    }
  }

  get names(): string[] {
    return [...this.infos.keys()];
  }

  private info(name: string): SafetensorsInfo {
    const i = this.infos.get(name);
    if (!i) throw new SafetensorsError(this.file, name, 'no such tensor in the file');
    return i;
  }

  shape(name: string): readonly number[] {
    return this.info(name).shape;
  }

  dtype(name: string): SafetensorsDType {
    return this.info(name).dtype;
  }

  async read(name: string): Promise<Float32Array> {
    const { dtype, begin, end } = this.info(name);
    const buf = new ArrayBuffer(end - begin);
    const { bytesRead } = await this.fh.read(new Uint8Array(buf), 0, end - begin, begin);
    if (bytesRead !== end - begin)
      throw new SafetensorsError(
        this.file,
        name,
        `read ${bytesRead} of ${end - begin} bytes (file changed?)`,
      );
    return decodeSafetensorsData(this.file, name, dtype, buf);
  }

  close(): Promise<void> {
    return this.fh.close();
  }
}

const BYTES: Record<SafetensorsDType, number> = { F32: 4, F16: 2, BF16: 2 };

/** The tensor's values as stored bytes of `dtype` (F16/BF16 round to nearest even). */
function encode(data: Float32Array, dtype: SafetensorsDType): Uint8Array {
  if (dtype === 'F32') return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  const conv = dtype === 'F16' ? f32ToF16 : f32ToBf16;
  return new Uint8Array(Uint16Array.from(data, (x) => conv(x)).buffer);
}

/**
 * Writes a safetensors file whose tensors (names and shapes in `plan`'s order) arrive one at a time
 * through `write`; the file appears at `path` only when `finish` is called after the last one.
 */
export async function openSafetensorsWriter(
  path: string,
  plan: readonly { name: string; shape: readonly number[] }[],
  dtype: SafetensorsDType,
  metadata: Record<string, string> = {},
): Promise<{ write(t: NamedTensor): Promise<void>; finish(): Promise<void>; abort(): Promise<void> }> {
  const header: Record<string, unknown> = { __metadata__: metadata };
  let offset = 0;
  for (const t of plan) {
    const bytes = t.shape.reduce((a, b) => a * b, 1) * BYTES[dtype];
    header[t.name] = { dtype, shape: [...t.shape], data_offsets: [offset, offset + bytes] };
    offset += bytes;
  }
  let json = JSON.stringify(header);
  json += ' '.repeat((8 - (Buffer.byteLength(json) % 8)) % 8);
  const head = Buffer.alloc(8 + Buffer.byteLength(json));
  head.writeBigUInt64LE(BigInt(head.length - 8), 0);
  head.write(json, 8);
  const tmp = `${path}${TMP_SUFFIX}`;
  const fh = await open(tmp, 'w');
  let at = 0;
  let next = 0;
  const put = async (b: Uint8Array) => {
    let done = 0;
    while (done < b.length) done += (await fh.write(b, done, b.length - done, at + done)).bytesWritten;
    at += b.length;
  };
  let closed = false;
  const abort = async () => {
    if (!closed) await fh.close();
    closed = true;
    await rm(tmp, { force: true });
  };
  try {
    await put(head);
  } catch (e) {
    await abort();
    throw e;
  }
  return {
    async write(t) {
      const want = plan[next];
      if (!want || want.name !== t.name)
        throw new Error(`safetensors writer: got tensor "${t.name}", expected "${want?.name ?? '(none)'}"`);
      next++;
      await put(encode(t.data, dtype));
    },
    async finish() {
      if (next !== plan.length)
        throw new Error(`safetensors writer: ${next} of ${plan.length} tensors written`);
      await fh.sync();
      await fh.close();
      closed = true;
      await rename(tmp, path);
    },
    abort,
  };
}
