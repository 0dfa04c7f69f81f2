import { afterEach, describe, expect, it } from 'vitest';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { gzipSync } from 'node:zlib';
import { loadBeirDir, sharedDatasetsDir } from './node';

const dirs: string[] = [];
function tempBeir(files: Record<string, string | Buffer>): string {
  const dir = mkdtempSync(join(tmpdir(), 'stm-beir-'));
  dirs.push(dir);
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(join(dir, path, '..'), { recursive: true });
    writeFileSync(join(dir, path), content);
  }
  return dir;
}
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('loadBeirDir', () => {
  it('reads a folder with gzipped corpus and several qrels splits', async () => {
    const dir = tempBeir({
      'corpus.jsonl.gz': gzipSync('{"_id":"a","title":"T","text":"alpha"}\n{"_id":"b","text":"beta"}\n'),
      'queries.jsonl': '{"_id":"1","text":"alpha?"}\n',
      'qrels/test.tsv': 'query-id\tcorpus-id\tscore\n1\ta\t1\n',
      'qrels/dev.tsv': 'query-id\tcorpus-id\tscore\n1\tb\t0\n',
      'README.md': 'A tiny set.\n',
    });
    const ds = await loadBeirDir(dir, 'tiny');
    expect(ds.name).toBe('tiny');
    expect(ds.docs[0]).toEqual({ id: 'a', title: 'T', text: 'alpha' });
    expect(Object.keys(ds.qrels)).toEqual(['dev', 'test']);
    expect(ds.description).toBe('A tiny set.');
  });

  it('refuses two files for one part (plain and gzipped) instead of letting one win, naming both', async () => {
    const qrels = 'query-id\tcorpus-id\tscore\n1\ta\t1\n';
    const base = {
      'corpus.jsonl': '{"_id":"a","text":"alpha"}\n',
      'queries.jsonl': '{"_id":"1","text":"alpha?"}\n',
    };
    const twoQrels = tempBeir({
      ...base,
      'qrels/test.tsv': qrels,
      'qrels/test.tsv.gz': gzipSync('query-id\tcorpus-id\tscore\n1\tb\t1\n'),
    });
    await expect(loadBeirDir(twoQrels)).rejects.toThrow(
      `${join(twoQrels, 'qrels', 'test.tsv')} and ${join(twoQrels, 'qrels', 'test.tsv.gz')} are both the qrels of split "test": keep one of them`,
    );
    const twoCorpora = tempBeir({
      ...base,
      'corpus.jsonl.gz': gzipSync('{"_id":"b","text":"beta"}\n'),
      'qrels/test.tsv': qrels,
    });
    await expect(loadBeirDir(twoCorpora)).rejects.toThrow(
      `${join(twoCorpora, 'corpus.jsonl')} and ${join(twoCorpora, 'corpus.jsonl.gz')} are both the corpus.jsonl`,
    );
  });

  it('names what is missing, and the file and line of bad input', async () => {
    const empty = tempBeir({ 'queries.jsonl': '{"_id":"1","text":"x"}\n' });
    await expect(loadBeirDir(empty)).rejects.toThrow(/missing corpus\.jsonl, qrels\/<split>\.tsv/);
    await expect(loadBeirDir(join(empty, 'nope'))).rejects.toThrow(/not a directory/);
    const bad = tempBeir({
      'corpus.jsonl': '{"_id":"a","text":"x"}\n{"_id":"b"\n',
      'queries.jsonl': '{"_id":"1","text":"x"}\n',
      'qrels/test.tsv': 'query-id\tcorpus-id\tscore\n1\ta\t1\n',
    });
    await expect(loadBeirDir(bad)).rejects.toThrow(`${join(bad, 'corpus.jsonl')}:2: bad JSON`);
  });
});

describe('sharedDatasetsDir', () => {
  it('defaults to ../shared/datasets beside the repo and honours STM_DATASETS', () => {
    const saved = process.env.STM_DATASETS;
    try {
      delete process.env.STM_DATASETS;
      expect(sharedDatasetsDir()).toBe(resolve(__dirname, '../../../shared/datasets'));
      process.env.STM_DATASETS = '/tmp/somewhere';
      expect(sharedDatasetsDir()).toBe('/tmp/somewhere');
    } finally {
      if (saved === undefined) delete process.env.STM_DATASETS;
      else process.env.STM_DATASETS = saved;
    }
  });
});
