import { describe, expect, it } from 'vitest';
import { Bm25Index } from './bm25';
import type { Doc } from '../data/types';

const doc = (id: string, text: string, title = ''): Doc => ({ id, title, text });
// N = 3, lengths 3, 2, 4, avgdl = 3
const docs = [
  doc('d1', 'apple apple banana'),
  doc('d2', 'banana cherry'),
  doc('d3', 'cherry cherry cherry date'),
];

describe('Bm25Index', () => {
  const index = Bm25Index.build(docs, { stem: 'none' });

  it('scores one term by hand (k1 1.5, b 0.75)', () => {
    // idf = ln(1 + (3 - 1 + 0.5)/(1 + 0.5)) = ln(8/3); d1: tf 2, dl = avgdl, so w = 2*2.5/(2 + 1.5)
    const hits = index.search('apple', 10);
    expect(hits).toHaveLength(1);
    expect(hits[0].docId).toBe('d1');
    expect(hits[0].score).toBeCloseTo(Math.log(8 / 3) * (5 / 3.5), 12);
    expect(hits[0].score).toBeCloseTo(1.401185, 5);
  });

  it('sums terms and normalises length, by hand', () => {
    const idf = Math.log(1 + 1.5 / 2.5); // banana and cherry both have df 2
    const w = (tf: number, dl: number) => (tf * 2.5) / (tf + 1.5 * (0.25 + (0.75 * dl) / 3));
    const hits = index.search('banana cherry', 10);
    expect(hits.map((h) => h.docId)).toEqual(['d2', 'd3', 'd1']);
    expect(hits[0].score).toBeCloseTo(2 * idf * w(1, 2), 12);
    expect(hits[1].score).toBeCloseTo(idf * w(3, 4), 12);
    expect(hits[2].score).toBeCloseTo(idf * w(1, 3), 12);
    expect(index.search('banana cherry', 1).map((h) => h.docId)).toEqual(['d2']);
  });

  it('indexes the title with the text, and k1/b are settable', () => {
    const idx = Bm25Index.build([doc('a', 'apple', 'Fruit'), doc('b', 'fruit fruit pear')], {
      k1: 0.9,
      b: 0.4,
      stem: 'none',
    });
    expect(idx.k1).toBe(0.9);
    expect(idx.b).toBe(0.4);
    expect(
      idx
        .search('fruit', 5)
        .map((h) => h.docId)
        .sort(),
    ).toEqual(['a', 'b']);
    expect(idx.docFreq('fruit')).toBe(2);
    // b = 0 removes length normalisation: the longer doc with tf 2 wins
    const flat = Bm25Index.build([doc('a', 'fruit'), doc('b', 'fruit fruit x y z w v u')], {
      b: 0,
      stem: 'none',
    });
    expect(flat.search('fruit', 2)[0].docId).toBe('b');
    const norm = Bm25Index.build([doc('a', 'fruit'), doc('b', 'fruit fruit x y z w v u')], {
      b: 1,
      stem: 'none',
    });
    expect(norm.search('fruit', 2)[0].docId).toBe('a');
  });

  it('breaks ties by doc id descending, returns nothing for unknown or stopword queries', () => {
    const idx = Bm25Index.build([doc('x', 'same words'), doc('y', 'same words'), doc('z', 'other')], {
      stem: 'none',
    });
    expect(idx.search('same', 5).map((h) => h.docId)).toEqual(['y', 'x']);
    expect(idx.search('the of and', 5)).toEqual([]);
    expect(idx.search('unseen', 5)).toEqual([]);
  });

  it('weights repeated query terms only with queryTermFrequency "count"', () => {
    const unique = Bm25Index.build(docs, { stem: 'none' });
    const count = Bm25Index.build(docs, { stem: 'none', queryTermFrequency: 'count' });
    expect(unique.search('apple apple', 1)[0].score).toBeCloseTo(unique.search('apple', 1)[0].score, 12);
    expect(count.search('apple apple', 1)[0].score).toBeCloseTo(2 * count.search('apple', 1)[0].score, 12);
  });

  it('stems documents and queries alike when asked', () => {
    const d = [doc('p', 'the patients were treated'), doc('q', 'a patient treatment plan')];
    expect(
      Bm25Index.build(d, { stem: 'none' })
        .search('patient', 5)
        .map((h) => h.docId),
    ).toEqual(['q']);
    expect(Bm25Index.build(d, { stem: 's' }).search('patient', 5)).toHaveLength(2);
    expect(
      Bm25Index.build(d, { stem: 'porter' })
        .search('treating', 5)
        .map((h) => h.docId),
    ).toEqual(['p']);
    expect(Bm25Index.build(d, { stem: 'none' }).search('treating', 5)).toEqual([]);
  });

  it('searchAll returns a run keyed by query id and reports progress', () => {
    const seen: number[] = [];
    const built: number[] = [];
    const idx = Bm25Index.build(docs, { stem: 'none' }, (done) => built.push(done));
    const run = idx.searchAll(
      [
        { id: 'q1', text: 'date' },
        { id: 'q2', text: 'nothing' },
      ],
      10,
      (done) => seen.push(done),
    );
    expect(run.get('q1')?.map((h) => h.docId)).toEqual(['d3']);
    expect(run.get('q2')).toEqual([]);
    expect(seen.at(-1)).toBe(2);
    expect(built.at(-1)).toBe(3);
    expect(() => Bm25Index.build(docs, { b: 2 })).toThrow(/b <= 1/);
  });
});
