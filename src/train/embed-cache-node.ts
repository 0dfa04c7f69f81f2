/** A BaseEmbeddingCache on disk: <file>.keys.json (keys in order) + <file>.f32 (rows, little-endian). */
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { DataError } from '../data/types';
import type { BaseEmbeddingCache } from './embed-cache';

export async function loadEmbeddingCacheFile(file: string): Promise<BaseEmbeddingCache> {
  const cache: BaseEmbeddingCache = new Map();
  if (!existsSync(`${file}.keys.json`)) return cache;
  const meta = JSON.parse(await readFile(`${file}.keys.json`, 'utf8')) as { dim: number; keys: string[] };
  const buf = await readFile(`${file}.f32`);
  const rows = new Float32Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength));
  if (rows.length !== meta.keys.length * meta.dim) {
    throw new DataError(
      `${file}.f32`,
      null,
      `holds ${rows.length} values, expected ${meta.keys.length} x ${meta.dim}`,
    );
  }
  meta.keys.forEach((k, i) => cache.set(k, rows.slice(i * meta.dim, (i + 1) * meta.dim)));
  return cache;
}

export async function saveEmbeddingCacheFile(file: string, cache: BaseEmbeddingCache): Promise<void> {
  const keys = [...cache.keys()];
  const dim = keys.length ? cache.get(keys[0])!.length : 0;
  const rows = new Float32Array(keys.length * dim);
  keys.forEach((k, i) => rows.set(cache.get(k)!, i * dim));
  await writeFile(`${file}.f32`, new Uint8Array(rows.buffer));
  await writeFile(`${file}.keys.json`, JSON.stringify({ dim, keys }));
}
