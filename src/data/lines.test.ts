import { describe, expect, it } from 'vitest';
import { chunked, dataError } from '../testing/sources';
import { gzipSync } from 'node:zlib';
import { DEFAULT_LINE_LIMITS, readLines, type Source } from './lines';
import { LineSplitter } from './line-splitter';
import { parseCorpus } from './beir';

async function drain(src: Source, limits?: Parameters<typeof readLines>[2]): Promise<string[]> {
  const out: string[] = [];
  for await (const l of readLines(src, undefined, limits))
    out.push(l.text.length > 20 ? `#${l.text.length}` : l.text);
  return out;
}

describe('LineSplitter', () => {
  it('scans each character once, however long the line and small the chunks', () => {
    const s = new LineSplitter();
    const chunk = 'y'.repeat(4096);
    for (let i = 0; i < 1000; i++) expect(s.push(chunk)).toEqual([]);
    expect(s.pending).toBe(4096 * 1000);
    const done = s.push('z\r\nshort\nrest');
    expect(done.map((l) => l.length)).toEqual([4096 * 1000 + 1, 5]);
    expect(s.end()).toBe('rest');
    expect(s.scanned).toBe(4096 * 1000 + 'z\r\nshort\nrest'.length);
  });
});

describe('readLines limits (issue 8 item 9)', () => {
  it('reads a 20 MB line in 16 KiB chunks in linear time', async () => {
    const line = new TextEncoder().encode('a'.repeat(20 * 1024 * 1024) + '\nb\n');
    const t0 = performance.now();
    expect(await drain(chunked('long.jsonl', line, 16 * 1024))).toEqual([`#${20 * 1024 * 1024}`, 'b']);
    // the quadratic reader took minutes here; linear takes a fraction of a second
    expect(performance.now() - t0).toBeLessThan(5000);
  }, 60_000);

  it('stops a line over the cap with an error naming the file, the line and the limit', async () => {
    const bytes = new TextEncoder().encode('ok\n' + 'x'.repeat(5000) + '\nnever\n');
    const err = await dataError(drain(chunked('big.jsonl', bytes, 100), { maxLineChars: 1000 }));
    expect(err.file).toBe('big.jsonl');
    expect(err.line).toBe(2);
    expect(err.message).toMatch(/^big\.jsonl:2: line longer than the limit of 1000 characters/);
    // the same through the BEIR parser's options, and a line that ends inside one chunk
    const corpus = new TextEncoder().encode(`{"_id":"a","text":"${'t'.repeat(3000)}"}\n`);
    const viaParser = await dataError(
      parseCorpus(chunked('corpus.jsonl', corpus, 1 << 20), { lineLimits: { maxLineChars: 2000 } }),
    );
    expect(viaParser.message).toMatch(/corpus\.jsonl:1: .*limit of 2000 characters/);
    expect(DEFAULT_LINE_LIMITS.maxLineChars).toBe(64 * 1024 * 1024);
  });

  it('stops a gzip bomb (2 MB inflating to 1 GiB) at the default limit with bounded memory', async () => {
    const line = Buffer.from('x'.repeat(1023) + '\n');
    const member = gzipSync(Buffer.concat(Array<Buffer>(16 * 1024).fill(line)), { level: 9 }); // 16 MiB
    const bomb = new Uint8Array(Buffer.concat(Array<Buffer>(64).fill(member))); // 64 members: 1 GiB
    expect(bomb.byteLength).toBeLessThan(4 * 1024 * 1024);
    const before = process.memoryUsage().heapUsed;
    let lines = 0;
    let peak = 0;
    const err = await dataError(
      (async () => {
        for await (const _ of readLines(chunked('bomb.jsonl.gz', bomb, 64 * 1024))) {
          if (++lines % 10_000 === 0) peak = Math.max(peak, process.memoryUsage().heapUsed - before);
        }
      })(),
    );
    expect(err.file).toBe('bomb.jsonl.gz');
    expect(err.message).toMatch(/inflates to over \d+ MiB from \d+ MiB compressed, past the limit of 100×/);
    const limit = DEFAULT_LINE_LIMITS.maxGzipRatio * bomb.byteLength + DEFAULT_LINE_LIMITS.gzipAllowanceBytes;
    expect(err.line).toBe(lines + 1);
    expect(lines * 1024).toBeGreaterThan(limit * 0.9);
    expect(lines * 1024).toBeLessThan(limit + 4 * 1024 * 1024);
    expect(peak).toBeLessThan(256 * 1024 * 1024);
  }, 60_000);

  it('stops a gzip of 1 GiB without a newline at the default line cap, naming line 1', async () => {
    const member = gzipSync(Buffer.alloc(16 * 1024 * 1024, 'x'), { level: 9 });
    const bomb = new Uint8Array(Buffer.concat(Array<Buffer>(64).fill(member)));
    const err = await dataError(drain(chunked('one-line.jsonl.gz', bomb, 64 * 1024)));
    expect(err.message).toBe(
      'one-line.jsonl.gz:1: line longer than the limit of 67108864 characters; a JSONL/TSV file holds one ' +
        'record per line (is this the right file, or one without line breaks?)',
    );
  }, 60_000);

  it('reads a genuine gzip file far under the limit', async () => {
    const text = Array.from({ length: 5000 }, (_, i) => `line ${i}`).join('\n');
    const gz = new Uint8Array(gzipSync(Buffer.from(text)));
    const out = await drain(chunked('ok.tsv.gz', gz, 997));
    expect(out.length).toBe(5000);
    expect(out[4999]).toBe('line 4999');
  });
});
