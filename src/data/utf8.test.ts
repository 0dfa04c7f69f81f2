import { describe, expect, it } from 'vitest';
import { chunked } from '../testing/sources';
import { readLines, type Source } from './lines';
import { DataError } from './types';
import { decodeUtf8, invalidUtf8At } from './utf8';

async function drain(src: Source): Promise<unknown> {
  try {
    for await (const _ of readLines(src)) {
      /* drain */
    }
  } catch (e) {
    return e;
  }
  return null;
}

describe('strict UTF-8 with the line of the bad byte (issue 8 item 12)', () => {
  const good = new TextEncoder().encode(
    Array.from({ length: 50 }, (_, i) => `{"query":"fièvre ${i} 😷","positive":"α"}`).join('\n') + '\n',
  );
  // line 37 gets a Latin-1 "é" (0xe9 followed by an ASCII byte)
  const bad = (() => {
    const text = new TextDecoder().decode(good).split('\n');
    const pre = new TextEncoder().encode(text.slice(0, 36).join('\n') + '\ncaf');
    const post = new TextEncoder().encode(' x\n' + text.slice(37).join('\n'));
    return Uint8Array.from([...pre, 0xe9, ...post]);
  })();

  it('readLines names the line of the byte, whatever the chunk size', async () => {
    for (const size of [1 << 16, 64, 5, 3, 2, 1]) {
      expect(await drain(chunked('good.jsonl', good, size))).toBeNull();
      const e = await drain(chunked('bad.jsonl', bad, size));
      expect(e).toBeInstanceOf(DataError);
      expect((e as DataError).line).toBe(37);
      expect((e as Error).message).toMatch(
        /^bad\.jsonl:37: byte 0xe9 is not valid UTF-8: save the file as UTF-8/,
      );
    }
  });

  it('a character cut off at the end of the file is named at the last line', async () => {
    const cut = Uint8Array.from([0x61, 0x0a, 0x62, 0x0a, 0xf0, 0x9f, 0x98]);
    for (const size of [1, 2, 100]) {
      const e = (await drain(chunked('cut.txt', cut, size))) as DataError;
      expect(e.message).toMatch(
        /^cut\.txt:3: the file ends in the middle of a UTF-8 character: save the file as UTF-8/,
      );
    }
  });

  it('decodeUtf8 names the line too; invalidUtf8At agrees with the WHATWG decoder on random bytes', () => {
    expect(() => decodeUtf8(bad, 'p.jsonl')).toThrow(/^p\.jsonl:37: byte 0xe9/);
    expect(decodeUtf8(good, 'p.jsonl')).toBe(new TextDecoder().decode(good));
    let seed = 7;
    const rnd = () => ((seed = (seed * 1103515245 + 12345) >>> 0) >>> 16) & 0xff;
    for (let t = 0; t < 3000; t++) {
      const b = Uint8Array.from({ length: 1 + (t % 9) }, () => {
        const r = rnd();
        return r < 96 ? r : r < 160 ? 0x80 + (r % 64) : 0xc0 + (r % 64);
      });
      let valid = true;
      try {
        new TextDecoder('utf-8', { fatal: true }).decode(b);
      } catch {
        valid = false;
      }
      expect(invalidUtf8At(b) < 0).toBe(valid);
    }
  });
});
