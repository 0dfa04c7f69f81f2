/** Node only: load an ONNX model folder from disk. */
import { readFile } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import type { AssetFetcher } from '../glove';
import { loadOrtEmbedder, type OrtEmbedder, type OrtEmbedderOptions } from './embedder';

/** Reads files under `folder` (paths relative to it). */
export function folderFetcher(folder: string): AssetFetcher {
  return async (path) => {
    const file = join(folder, path);
    try {
      const b = await readFile(file);
      return b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw new Error(`${file} does not exist`);
      throw e;
    }
  };
}

/** loadOrtEmbedder over a folder laid out like the hub's (onnx/model.onnx, tokenizer.json, ...); errors give full paths */
export function loadOrtEmbedderFromFolder(
  folder: string,
  opts: Omit<OrtEmbedderOptions, 'dir'> = {},
): Promise<OrtEmbedder> {
  const dir = resolve(folder);
  return loadOrtEmbedder(folderFetcher(''), { id: basename(dir), ...opts, dir });
}
