/** Test support for the dataset readers: sources that split their bytes anywhere, and the DataError a read throws. */
import { expect } from 'vitest';
import type { Source } from '../data/lines';
import { DataError } from '../data/types';

/** A source that delivers `bytes` in chunks of `size` (splitting lines and UTF-8 sequences), `repeat`
 * times over without holding the copies. */
export function chunked(name: string, bytes: Uint8Array, size: number, repeat = 1): Source {
  return {
    name,
    stream: () => {
      let at = 0;
      let round = 0;
      return new ReadableStream<Uint8Array>({
        pull(c) {
          if (at >= bytes.length) {
            round++;
            at = 0;
          }
          if (round >= repeat) return c.close();
          c.enqueue(bytes.subarray(at, at + size));
          at += size;
        },
      });
    },
  };
}

/** The DataError `p` rejects with (fails the test when it resolves or throws something else). */
export async function dataError(p: Promise<unknown>): Promise<DataError> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(DataError);
    return e as DataError;
  }
  throw new Error('expected a DataError');
}
