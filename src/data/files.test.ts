import { describe, expect, it } from 'vitest';
import { gzipSync } from 'node:zlib';
import { datasetFromFiles } from './files';
import { DataError } from './types';

const HEADER = 'query-id\tcorpus-id\tscore\n';

/** A File with a folder path, as <input webkitdirectory> gives. */
function file(path: string, content: string | Uint8Array<ArrayBuffer>): File {
  const f = new File([content], path.slice(path.lastIndexOf('/') + 1));
  Object.defineProperty(f, 'webkitRelativePath', { value: path });
  return f;
}

const corpus = '{"_id":"d1","title":"","text":"one"}\n{"_id":"d2","title":"","text":"two"}\n';
const queries = '{"_id":"q1","text":"one"}\n';

describe('datasetFromFiles', () => {
  it('finds the BEIR files in a folder selection, gz included, and names the dataset after the folder', async () => {
    const ds = await datasetFromFiles([
      file('mydata/README.md', 'x'),
      file(
        'mydata/corpus.jsonl.gz',
        new Uint8Array(gzipSync(Buffer.from(corpus))) as Uint8Array<ArrayBuffer>,
      ),
      file('mydata/queries.jsonl', queries),
      file('mydata/qrels/test.tsv', `${HEADER}q1\td1\t1\n`),
      file('mydata/qrels/dev.tsv', `${HEADER}q1\td2\t1\n`),
      file('mydata/qrels/._test.tsv', 'mac resource fork'),
      file('mydata/notes.tsv', 'not qrels'),
    ]);
    expect(ds.name).toBe('mydata');
    expect(ds.docs.map((d) => d.id)).toEqual(['d1', 'd2']);
    expect(Object.keys(ds.qrels).sort()).toEqual(['dev', 'test']);
  });

  it('accepts plain multi-selected files without folder paths', async () => {
    const ds = await datasetFromFiles(
      [
        new File([corpus], 'corpus.jsonl'),
        new File([queries], 'queries.jsonl'),
        new File([`${HEADER}q1\td1\t1\n`], 'test.tsv'),
      ],
      { name: 'picked' },
    );
    expect(ds.name).toBe('picked');
    expect(ds.qrels.test.get('q1')?.get('d1')).toBe(1);
  });

  it('lists everything that is missing', async () => {
    const err = await datasetFromFiles([file('x/queries.jsonl', queries)]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DataError);
    const msg = (err as Error).message;
    expect(msg).toMatch(/corpus\.jsonl/);
    expect(msg).toMatch(/qrels\/<split>\.tsv/);
    expect(msg).not.toMatch(/missing.*queries\.jsonl \(or/);
    expect(msg).toMatch(/got: x\/queries\.jsonl/);
    await expect(datasetFromFiles([])).rejects.toThrow(/no files/);
  });

  it('rejects two corpus candidates and reports parse errors with the relative path', async () => {
    await expect(
      datasetFromFiles([
        file('a/corpus.jsonl', corpus),
        file('a/b/corpus.jsonl', corpus),
        file('a/queries.jsonl', queries),
        file('a/qrels/test.tsv', HEADER),
      ]),
    ).rejects.toThrow('a/corpus.jsonl and a/b/corpus.jsonl are both the corpus.jsonl: keep one of them');
    await expect(
      datasetFromFiles([
        file('a/corpus.jsonl', corpus),
        file('a/queries.jsonl', queries),
        file('a/qrels/test.tsv', `${HEADER}q1\td3\t1\n`),
      ]),
    ).rejects.toThrow('a/qrels/test.tsv:2: doc "d3" is not in the corpus');
  });

  it('refuses two files for one part (plain and gzipped), naming both, whichever part it is', async () => {
    const gz = async (text: string) =>
      new Uint8Array(
        await new Response(
          new Blob([text]).stream().pipeThrough(new CompressionStream('gzip')),
        ).arrayBuffer(),
      );
    const qrels = `${HEADER}q1\td1\t1\n`;
    await expect(
      datasetFromFiles([
        file('a/corpus.jsonl', corpus),
        file('a/corpus.jsonl.gz', await gz(corpus)),
        file('a/queries.jsonl', queries),
        file('a/qrels/test.tsv', qrels),
      ]),
    ).rejects.toThrow('a/corpus.jsonl and a/corpus.jsonl.gz are both the corpus.jsonl: keep one of them');
    await expect(
      datasetFromFiles([
        file('a/corpus.jsonl', corpus),
        file('a/queries.jsonl', queries),
        file('a/qrels/test.tsv', qrels),
        file('a/qrels/test.tsv.gz', await gz(qrels)),
      ]),
    ).rejects.toThrow(
      'a/qrels/test.tsv and a/qrels/test.tsv.gz are both the qrels of split "test": keep one of them',
    );
  });
});
