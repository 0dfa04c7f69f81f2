import { describe, expect, it } from 'vitest';
import { chunked, dataError } from '../testing/sources';
import { gzipSync } from 'node:zlib';
import {
  assembleDataset,
  parseCorpus,
  parseQrels,
  parseQueries,
  readLines,
  splitName,
  textSource,
} from './beir';

const corpusText = '{"_id":"d1","title":"Fièvre","text":"héllo"}\r\n\n{"_id":"d2","text":"two"}';

describe('readLines', () => {
  it('splits across chunk and multi-byte boundaries, strips CR and BOM, numbers lines from 1', async () => {
    const bytes = new TextEncoder().encode('\uFEFFαβ\r\nγ\n\nδ');
    for (const size of [1, 2, 3, 100]) {
      const lines = [];
      for await (const l of readLines(chunked('x.txt', bytes, size))) lines.push(l);
      expect(lines).toEqual([
        { text: 'αβ', no: 1 },
        { text: 'γ', no: 2 },
        { text: '', no: 3 },
        { text: 'δ', no: 4 },
      ]);
    }
  });

  it('gunzips when the name ends in .gz and reports invalid UTF-8 with a line', async () => {
    const gz = gzipSync(Buffer.from('a\nb\n'));
    const lines = [];
    for await (const l of readLines(chunked('f.jsonl.gz', new Uint8Array(gz), 7))) lines.push(l.text);
    expect(lines).toEqual(['a', 'b']);
    const bad = chunked('bad.txt', new Uint8Array([0x61, 0x0a, 0xff, 0xfe]), 10);
    const err = await dataError(
      (async () => {
        for await (const _ of readLines(bad)) {
          /* drain */
        }
      })(),
    );
    expect(err.file).toBe('bad.txt');
    expect(err.message).toMatch(/UTF-8/);
    const notGz = await dataError(parseCorpus(textSource('c.jsonl.gz', 'plain')));
    expect(notGz.message).toMatch(/gzip/);
  });
});

describe('parseCorpus / parseQueries', () => {
  it('reads docs, defaults a missing title to "", skips blank lines', async () => {
    const docs = await parseCorpus(chunked('corpus.jsonl', new TextEncoder().encode(corpusText), 5));
    expect(docs).toEqual([
      { id: 'd1', title: 'Fièvre', text: 'héllo' },
      { id: 'd2', title: '', text: 'two' },
    ]);
    expect(await parseQueries(textSource('q.jsonl', '{"_id":"q1","text":"hi","extra":1}\n'))).toEqual([
      { id: 'q1', text: 'hi' },
    ]);
  });

  it.each([
    ['{"_id":"a","text":"x"}\n{"_id":"b","text":', 2, /bad JSON/],
    ['[1,2]', 1, /JSON object/],
    ['{"text":"x"}', 1, /missing "_id"/],
    ['{"_id":7,"text":"x"}', 1, /"_id" must be a string/],
    ['{"_id":"","text":"x"}', 1, /empty "_id"/],
    ['{"_id":"a"}', 1, /missing "text"/],
    ['{"_id":"a","text":5}', 1, /"text" must be a string/],
    ['{"_id":"a","title":["t"],"text":"x"}', 1, /"title" must be a string/],
    ['{"_id":"a","text":"x"}\n\n{"_id":"a","text":"y"}', 3, /duplicate _id "a"/],
  ])('corpus error %#', async (text, line, re) => {
    const err = await dataError(parseCorpus(textSource('corpus.jsonl', text)));
    expect(err.file).toBe('corpus.jsonl');
    expect(err.line).toBe(line);
    expect(err.message).toMatch(re);
    expect(err.message.startsWith(`corpus.jsonl:${line}: `)).toBe(true);
  });

  it('rejects an empty corpus and empty queries', async () => {
    expect((await dataError(parseCorpus(textSource('corpus.jsonl', '\n \n')))).message).toMatch(
      /no documents/,
    );
    expect((await dataError(parseQueries(textSource('queries.jsonl', '')))).message).toMatch(/no queries/);
    expect((await dataError(parseQueries(textSource('queries.jsonl', '{"_id":"q"}')))).line).toBe(1);
  });

  it('reports progress ending with done', async () => {
    const events: { lines: number; done: boolean; bytes: number }[] = [];
    await parseCorpus(textSource('corpus.jsonl', corpusText), { onProgress: (p) => events.push(p) });
    expect(events.at(-1)).toMatchObject({
      lines: 3,
      done: true,
      bytes: new TextEncoder().encode(corpusText).length,
    });
  });
});

describe('parseQrels', () => {
  const header = 'query-id\tcorpus-id\tscore\n';

  it('reads graded judgements, including 0 and negative grades', async () => {
    const q = await parseQrels(textSource('test.tsv', `${header}q1\td1\t2\r\nq1\td2\t0\n\nq2\td1\t-1\n`));
    expect(q.get('q1')).toEqual(
      new Map([
        ['d1', 2],
        ['d2', 0],
      ]),
    );
    expect(q.get('q2')?.get('d1')).toBe(-1);
  });

  it.each([
    ['q1\td1\t1\n', 1, /expected the header/],
    ['query-id corpus-id score\n', 1, /expected the header/],
    [`${header}q1\td1\n`, 2, /3 tab-separated columns/],
    [`${header}q1\td1\t1\t0\n`, 2, /got 4/],
    [`${header}q1\td1\t1.5\n`, 2, /not an integer/],
    [`${header}q1\td1\tyes\n`, 2, /not an integer/],
    [`${header}q1\t\t1\n`, 2, /empty/],
    [`${header}q1\td1\t1\nq1\td1\t2\n`, 3, /twice/],
  ])('qrels error %#', async (text, line, re) => {
    const err = await dataError(parseQrels(textSource('qrels/test.tsv', text)));
    expect(err.line).toBe(line);
    expect(err.message).toMatch(re);
  });

  it('names unknown docs and queries when the id sets are given; rejects a file without rows', async () => {
    const opts = { docIds: new Set(['d1']), queryIds: new Set(['q1']) };
    const doc = await dataError(parseQrels(textSource('t.tsv', `${header}q1\td1\t1\nq1\td9\t1\n`), opts));
    expect([doc.line, doc.message]).toEqual([3, 't.tsv:3: doc "d9" is not in the corpus']);
    const query = await dataError(parseQrels(textSource('t.tsv', `${header}q7\td1\t1\n`), opts));
    expect([query.line, query.message]).toEqual([2, 't.tsv:2: query "q7" is not in the queries file']);
    expect((await dataError(parseQrels(textSource('t.tsv', header)))).message).toMatch(/no judgements/);
    expect((await dataError(parseQrels(textSource('t.tsv', '')))).message).toMatch(/no header/);
  });
});

describe('assembleDataset', () => {
  const corpus = textSource('corpus.jsonl', corpusText);
  const queries = textSource(
    'queries.jsonl',
    '{"_id":"q1","text":"hello"}\n{"_id":"q2","text":"unjudged is fine"}',
  );

  it('cross-validates and keys qrels by split', async () => {
    const files: string[] = [];
    const ds = await assembleDataset(
      'tiny',
      {
        corpus,
        queries,
        qrels: {
          test: textSource('qrels/test.tsv', 'query-id\tcorpus-id\tscore\nq1\td1\t1\n'),
          dev: textSource('qrels/dev.tsv', 'query-id\tcorpus-id\tscore\nq1\td2\t2\n'),
        },
      },
      { onProgress: (p) => p.done && files.push(p.file), description: 'd' },
    );
    expect(ds.name).toBe('tiny');
    expect(ds.docs).toHaveLength(2);
    expect(ds.queries.map((q) => q.id)).toEqual(['q1', 'q2']);
    expect(Object.keys(ds.qrels)).toEqual(['dev', 'test']);
    expect(ds.qrels.dev.get('q1')?.get('d2')).toBe(2);
    expect(files).toEqual(['corpus.jsonl', 'queries.jsonl', 'qrels/dev.tsv', 'qrels/test.tsv']);
  });

  it('fails on a qrels row naming an unknown doc, with file and line', async () => {
    const err = await dataError(
      assembleDataset('tiny', {
        corpus,
        queries,
        qrels: { test: textSource('qrels/test.tsv', 'query-id\tcorpus-id\tscore\nq1\tnope\t1\n') },
      }),
    );
    expect(err.message).toBe('qrels/test.tsv:2: doc "nope" is not in the corpus');
  });

  it('splitName takes the file stem', () => {
    expect(splitName('a/qrels/test.tsv')).toBe('test');
    expect(splitName('dev.tsv.gz')).toBe('dev');
  });
});
