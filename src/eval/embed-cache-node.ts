/**
 * An EmbeddingCache on disk: <file>.keys.json (keys in order) + <file>.f32 (entries, little-endian), held in
 * memory. Entries are one text's row (dim values) or a corpus chunk (rows × dim); when they differ in length,
 * keys.json also lists each entry's length.
 */
import { existsSync } from 'node:fs';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { DataError } from '../data/types';
import { MemoryEmbeddingCache } from './embed-cache';

export class FileEmbeddingCache extends MemoryEmbeddingCache {
  private constructor(
    readonly file: string,
    rows: Map<string, Float32Array>,
  ) {
    super(rows);
  }

  /** The cache of `file` (empty when the file does not exist yet; its folder is created now, so that a path
   * that cannot be written fails before any work rather than at the first flush). */
  static async open(file: string): Promise<FileEmbeddingCache> {
    try {
      await mkdir(dirname(file), { recursive: true });
    } catch (e) {
      throw new Error(
        `embedding cache ${file}: cannot create its folder ${dirname(file)} (${(e as Error).message})`,
      );
    }
    const rows = new Map<string, Float32Array>();
    if (existsSync(`${file}.keys.json`)) {
      const meta = JSON.parse(await readFile(`${file}.keys.json`, 'utf8')) as {
        dim: number;
        keys: string[];
        lengths?: number[];
      };
      const buf = await readFile(`${file}.f32`);
      const all = new Float32Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength));
      const lengths = meta.lengths ?? meta.keys.map(() => meta.dim);
      const total = lengths.reduce((a, b) => a + b, 0);
      if (lengths.length !== meta.keys.length || all.length !== total) {
        throw new DataError(
          `${file}.f32`,
          null,
          meta.lengths
            ? `holds ${all.length} values, expected ${total} (the lengths in ${file}.keys.json)`
            : `holds ${all.length} values, expected ${meta.keys.length} x ${meta.dim}`,
        );
      }
      let at = 0;
      meta.keys.forEach((k, i) => {
        rows.set(k, all.slice(at, at + lengths[i]));
        at += lengths[i];
      });
    }
    return new FileEmbeddingCache(file, rows);
  }

  async flush(): Promise<void> {
    const keys = [...this.rows.keys()];
    const lengths = keys.map((k) => this.rows.get(k)!.length);
    const dim = Math.min(...lengths, Infinity) === Infinity ? 0 : Math.min(...lengths);
    const all = new Float32Array(lengths.reduce((a, b) => a + b, 0));
    let at = 0;
    keys.forEach((k, i) => {
      all.set(this.rows.get(k)!, at);
      at += lengths[i];
    });
    const uniform = lengths.every((n) => n === dim);
    // through names of this process, renamed into place: a reader (another `stm` at the same time) sees
    // whole files, and a crash mid-write leaves the previous ones
    const tmp = (f: string) => `${f}.${process.pid}.tmp`;
    await writeFile(tmp(`${this.file}.f32`), new Uint8Array(all.buffer));
    await writeFile(
      tmp(`${this.file}.keys.json`),
      JSON.stringify(uniform ? { dim, keys } : { dim, keys, lengths }),
    );
    await rename(tmp(`${this.file}.f32`), `${this.file}.f32`);
    await rename(tmp(`${this.file}.keys.json`), `${this.file}.keys.json`);
  }
}
