import { readFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { AssetFetcher } from './glove';

/** The folder scripts/build-glove.ts writes model files to (public/models). */
export const MODELS_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', 'public', 'models');

/** Reads model files from public/models in Node (CLI, tests, benchmarks). */
export function nodeAssetFetcher(root = MODELS_DIR): AssetFetcher {
  return async (path) => {
    const file = join(root, path);
    try {
      const b = await readFile(file);
      return b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer;
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'ENOENT')
        throw new Error(`${file} is missing: run \`npm run prepare-assets\` to build the model files`);
      throw e;
    }
  };
}
