/** An EmbeddingCache on disk: <file>.keys.json (keys in order) + <file>.f32 (rows, little-endian), held in memory. */
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
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
      const meta = JSON.parse(await readFile(`${file}.keys.json`, 'utf8')) as { dim: number; keys: string[] };
      const buf = await readFile(`${file}.f32`);
      const all = new Float32Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength));
      if (all.length !== meta.keys.length * meta.dim) {
        throw new DataError(
          `${file}.f32`,
          null,
          `holds ${all.length} values, expected ${meta.keys.length} x ${meta.dim}`,
        );
      }
      meta.keys.forEach((k, i) => rows.set(k, all.slice(i * meta.dim, (i + 1) * meta.dim)));
    }
    return new FileEmbeddingCache(file, rows);
  }

  async flush(): Promise<void> {
    const keys = [...this.rows.keys()];
    const dim = keys.length ? this.rows.get(keys[0])!.length : 0;
    const all = new Float32Array(keys.length * dim);
    keys.forEach((k, i) => all.set(this.rows.get(k)!, i * dim));
    await writeFile(`${this.file}.f32`, new Uint8Array(all.buffer));
    await writeFile(`${this.file}.keys.json`, JSON.stringify({ dim, keys }));
  }
}
