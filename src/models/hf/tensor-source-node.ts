/**
 * Model weights on disk (Node): a safetensors file read at each tensor's offset with a file descriptor
 * (the header once, then one tensor per read), and a model folder's weights, single-file or sharded. The
 * caller passes Node's `fs` (the browser bundle never imports it).
 */
import type * as NodeFs from 'node:fs';
import { parseShardIndex, SHARD_INDEX, ShardedSource } from './shards';
import { ReaderSource, type ByteReader, type TensorSource } from './tensor-source';
import { SafetensorsError } from './safetensors';

type Fs = Pick<
  typeof NodeFs,
  'openSync' | 'readSync' | 'closeSync' | 'statSync' | 'existsSync' | 'readFileSync'
>;

/** Byte ranges of a file, each read through a descriptor opened for that read (no handle outlives it). */
export function fileReader(fs: Fs, path: string): ByteReader {
  const size = fs.statSync(path).size;
  return {
    size,
    read(begin, end) {
      const buf = new Uint8Array(end - begin);
      const fd = fs.openSync(path, 'r');
      try {
        let got = 0;
        while (got < buf.length) {
          const n = fs.readSync(fd, buf, got, buf.length - got, begin + got);
          if (n === 0) break;
          got += n;
        }
        return got === buf.length ? buf.buffer : buf.buffer.slice(0, got);
      } finally {
        fs.closeSync(fd);
      }
    },
  };
}

/** One safetensors file on disk (header read and validated now). */
export function fileSource(fs: Fs, path: string): TensorSource {
  return ReaderSource.open(fileReader(fs, path), path);
}

/**
 * The weights of a model folder: model.safetensors, else the shards model.safetensors.index.json lists
 * (a missing shard is an error naming it and the index). Returns null when the folder has neither.
 */
export function folderSource(fs: Fs, root: string): TensorSource | null {
  const single = `${root}/model.safetensors`;
  if (fs.existsSync(single)) return fileSource(fs, single);
  const indexFile = `${root}/${SHARD_INDEX}`;
  if (!fs.existsSync(indexFile)) return null;
  const index = parseShardIndex(fs.readFileSync(indexFile, 'utf8'), indexFile);
  const shards = new Map<string, TensorSource>();
  for (const name of index.shards) {
    const file = `${root}/${name}`;
    if (!fs.existsSync(file)) throw new SafetensorsError(file, null, `missing (listed in ${indexFile})`);
    shards.set(name, fileSource(fs, file));
  }
  return new ShardedSource(index, shards);
}
