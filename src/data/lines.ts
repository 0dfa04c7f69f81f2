/**
 * Byte sources and a streaming line reader shared by the BEIR parsers. Browser and Node (no node
 * imports): gzip is undone with DecompressionStream, UTF-8 with utf8.ts (errors at the bad byte's line).
 */
import { DataError } from './types';
import { DEFAULT_LINE_LIMITS, LineSplitter, type LineLimits } from './line-splitter';
import { utf8DecoderStream } from './utf8';

export { DEFAULT_LINE_LIMITS, type LineLimits } from './line-splitter';

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

const MIB = 1024 * 1024;
const size = (n: number) => (n >= MIB ? `${(n / MIB).toFixed(0)} MiB` : `${n} bytes`);

/**
 * Yields the lines of a source one at a time (a final line without "\n" included; a trailing "\r"
 * and a leading byte-order mark removed). Only the current chunk and the unfinished line are held,
 * and each character is scanned once. A line longer than `limits.maxLineChars`, or a ".gz" source
 * inflating past `maxGzipRatio` × its compressed bytes + `gzipAllowanceBytes` (a gzip bomb), is a
 * DataError naming the file, the line and the limit.
 */
export async function* readLines(
  src: Source,
  onBytes?: (total: number) => void,
  limits: Partial<LineLimits> = {},
): AsyncGenerator<Line> {
  const { maxLineChars, maxGzipRatio, gzipAllowanceBytes } = { ...DEFAULT_LINE_LIMITS, ...limits };
  let raw = 0;
  let inflated = 0;
  let bytes = src.stream().pipeThrough(
    byteCounter((n) => {
      raw = n;
      onBytes?.(n);
    }),
  );
  const gz = src.name.toLowerCase().endsWith('.gz');
  if (gz)
    bytes = bytes
      .pipeThrough(new DecompressionStream('gzip') as unknown as TransformStream<Uint8Array, Uint8Array>)
      .pipeThrough(byteCounter((n) => (inflated = n)));
  const reader = bytes.pipeThrough(utf8DecoderStream(src.name)).getReader();
  const lines = new LineSplitter();
  let no = 0;
  let finished = false;
  const tooLong = (at: number) =>
    new DataError(
      src.name,
      at,
      `line longer than the limit of ${maxLineChars} characters; a JSONL/TSV file holds one record per line` +
        ' (is this the right file, or one without line breaks?)',
    );
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
      if (gz && inflated > maxGzipRatio * raw + gzipAllowanceBytes)
        throw new DataError(
          src.name,
          no + 1,
          `inflates to over ${size(inflated)} from ${size(raw)} compressed, past the limit of ` +
            `${maxGzipRatio}× the compressed size + ${size(gzipAllowanceBytes)} (a gzip bomb?); ` +
            'unpack it yourself if it is genuine',
        );
      for (const text of lines.push(chunk.value)) {
        no++;
        if (text.length > maxLineChars) throw tooLong(no);
        yield { text, no };
      }
      if (lines.pending > maxLineChars) throw tooLong(no + 1);
    }
    finished = true;
    const last = lines.end();
    if (last !== null) {
      no++;
      yield { text: last, no };
    }
  } finally {
    if (!finished) await reader.cancel().catch(() => undefined);
    reader.releaseLock();
  }
}
