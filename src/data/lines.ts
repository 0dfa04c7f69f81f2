/**
 * Byte sources and a streaming line reader shared by the BEIR parsers. Browser and Node (no node
 * imports): gzip is undone with DecompressionStream, UTF-8 with utf8.ts (errors at the bad byte's line).
 */
import { DataError } from './types';
import { utf8DecoderStream } from './utf8';

/** Anything that can be read as a byte stream: a File/Blob (see blobSource), a Node file, a string. */
export interface Source {
  /** file name or path; used in error messages, and a name ending in ".gz" is gunzipped */
  readonly name: string;
  /** size in bytes of the raw (possibly compressed) stream, when known; for progress only */
  readonly size?: number;
  stream(): ReadableStream<Uint8Array>;
}

/** A numbered line of text (1-based), without its line terminator. */
export interface Line {
  readonly text: string;
  readonly no: number;
}

export function blobSource(blob: Blob, name?: string): Source {
  const fileName = name ?? (blob as Partial<File>).name ?? 'blob';
  return { name: fileName, size: blob.size, stream: () => blob.stream() as ReadableStream<Uint8Array> };
}

export function textSource(name: string, text: string): Source {
  const bytes = new TextEncoder().encode(text);
  return {
    name,
    size: bytes.byteLength,
    stream: () =>
      new ReadableStream<Uint8Array>({
        start(controller) {
          controller.enqueue(bytes);
          controller.close();
        },
      }),
  };
}

function message(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

function byteCounter(onBytes: (total: number) => void): TransformStream<Uint8Array, Uint8Array> {
  let total = 0;
  return new TransformStream<Uint8Array, Uint8Array>({
    transform(chunk, controller) {
      total += chunk.byteLength;
      onBytes(total);
      controller.enqueue(chunk);
    },
  });
}

/**
 * Yields the lines of a source one at a time (a final line without "\n" included; a trailing "\r"
 * and a leading byte-order mark removed). Only the current chunk and the unfinished line are held.
 */
export async function* readLines(src: Source, onBytes?: (total: number) => void): AsyncGenerator<Line> {
  let bytes = src.stream();
  if (onBytes) bytes = bytes.pipeThrough(byteCounter(onBytes));
  const gz = src.name.toLowerCase().endsWith('.gz');
  if (gz)
    bytes = bytes.pipeThrough(
      new DecompressionStream('gzip') as unknown as TransformStream<Uint8Array, Uint8Array>,
    );
  const reader = bytes.pipeThrough(utf8DecoderStream(src.name)).getReader();
  let carry = '';
  let no = 0;
  let finished = false;
  try {
    for (;;) {
      let chunk: ReadableStreamReadResult<string>;
      try {
        chunk = await reader.read();
      } catch (e) {
        if (e instanceof DataError) throw e; // a bad UTF-8 byte, already at its own line
        const what = gz ? 'not valid gzip or not UTF-8' : 'not valid UTF-8';
        throw new DataError(src.name, no + 1, `cannot read (${what}): ${message(e)}`);
      }
      if (chunk.done) break;
      const text = carry + chunk.value;
      let start = 0;
      for (let nl = text.indexOf('\n'); nl >= 0; nl = text.indexOf('\n', start)) {
        no++;
        const end = nl > start && text.charCodeAt(nl - 1) === 13 ? nl - 1 : nl;
        yield { text: text.slice(start, end), no };
        start = nl + 1;
      }
      carry = text.slice(start);
    }
    finished = true;
    if (carry.length > 0) {
      no++;
      yield { text: carry.endsWith('\r') ? carry.slice(0, -1) : carry, no };
    }
  } finally {
    if (!finished) await reader.cancel().catch(() => undefined);
    reader.releaseLock();
  }
}
