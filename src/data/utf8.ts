/**
 * Strict UTF-8 decoding that names the line of the first bad byte (browser and Node). TextDecoder's fatal
 * mode only says that a chunk failed; these count the newlines before the byte, so a Latin-1 "é" on line
 * 40,000 is reported as line 40,000, not as the first line of its 64 KiB chunk.
 */
import { DataError } from './types';

const NL = 0x0a;
const fix = 'save the file as UTF-8 (e.g. `iconv -f latin1 -t utf-8`)';

/**
 * Index of the first byte where strict UTF-8 decoding fails (the start of the bad sequence; the WHATWG
 * decoder's rules: no overlongs, surrogates or code points past U+10FFFF), `bytes.length` when the bytes end
 * inside a character, -1 when they are valid.
 */
export function invalidUtf8At(bytes: Uint8Array): number {
  const n = bytes.length;
  let i = 0;
  while (i < n) {
    const c = bytes[i];
    if (c < 0x80) {
      i++;
      continue;
    }
    let need: number;
    let lo = 0x80;
    let hi = 0xbf;
    if (c >= 0xc2 && c <= 0xdf) need = 1;
    else if (c >= 0xe0 && c <= 0xef) {
      need = 2;
      if (c === 0xe0) lo = 0xa0;
      if (c === 0xed) hi = 0x9f;
    } else if (c >= 0xf0 && c <= 0xf4) {
      need = 3;
      if (c === 0xf0) lo = 0x90;
      if (c === 0xf4) hi = 0x8f;
    } else return i;
    for (let k = 1; k <= need; k++) {
      if (i + k >= n) return n;
      const d = bytes[i + k];
      if (d < lo || d > hi) return i;
      lo = 0x80;
      hi = 0xbf;
    }
    i += need + 1;
  }
  return -1;
}

function countNewlines(bytes: Uint8Array, end = bytes.length): number {
  let count = 0;
  for (let at = bytes.indexOf(NL); at >= 0 && at < end; at = bytes.indexOf(NL, at + 1)) count++;
  return count;
}

function badByte(file: string, line: number, bytes: Uint8Array, at: number): DataError {
  const what =
    at >= bytes.length
      ? 'the file ends in the middle of a UTF-8 character'
      : `byte 0x${bytes[at].toString(16).padStart(2, '0')} is not valid UTF-8`;
  return new DataError(file, line, `${what}: ${fix}`);
}

/** Decodes a whole file's bytes as UTF-8 (a leading byte-order mark dropped); a bad byte is a DataError at its line. */
export function decodeUtf8(bytes: Uint8Array, file: string): string {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    const at = invalidUtf8At(bytes);
    throw badByte(file, countNewlines(bytes, at) + 1, bytes, at);
  }
}

/** A streaming strict decoder (bytes → text) whose error names the line of the bad byte. */
export function utf8DecoderStream(file: string): TransformStream<Uint8Array, string> {
  const decoder = new TextDecoder('utf-8', { fatal: true });
  let lines = 0;
  // the last bytes seen (at most 3): where a character split across chunks began
  let tail = new Uint8Array(0);
  const fail = (chunk: Uint8Array) => {
    const joined = new Uint8Array(tail.length + chunk.length);
    joined.set(tail);
    joined.set(chunk, tail.length);
    // bytes of the tail that continue an earlier, complete character were accepted already
    let from = 0;
    while (from < tail.length && (tail[from] & 0xc0) === 0x80) from++;
    const rest = joined.subarray(from);
    const at = invalidUtf8At(rest);
    const inChunk = Math.max(0, from + Math.max(at, 0) - tail.length);
    return badByte(file, lines + countNewlines(chunk, inChunk) + 1, rest, at < 0 ? rest.length : at);
  };
  return new TransformStream<Uint8Array, string>({
    transform(chunk, controller) {
      let text: string;
      try {
        text = decoder.decode(chunk, { stream: true });
      } catch {
        throw fail(chunk);
      }
      lines += countNewlines(chunk);
      const keep = Math.min(3, tail.length + chunk.length);
      const next = new Uint8Array(keep);
      const fromChunk = Math.min(keep, chunk.length);
      next.set(tail.subarray(tail.length - (keep - fromChunk)), 0);
      next.set(chunk.subarray(chunk.length - fromChunk), keep - fromChunk);
      tail = next;
      if (text) controller.enqueue(text);
    },
    flush(controller) {
      let text: string;
      try {
        text = decoder.decode();
      } catch {
        throw fail(new Uint8Array(0));
      }
      if (text) controller.enqueue(text);
    },
  });
}
