import { describe, expect, it } from 'vitest';
import type { Doc } from '../data/types';
import { hasSharedDatasets, loadSharedDataset } from '../data/node';
import { DEFAULT_PSEUDO, pseudoQueries, type PseudoOptions } from './pseudo';
import { normaliseQuery, splitSentences, words } from './text';
import type { SynthItem } from './types';

const DOCS: Doc[] = [
  {
    id: 'd1',
    title: 'Insulin pumps in type 1 diabetes',
    text:
      'Insulin pumps deliver rapid acting insulin through a small catheter under the skin. ' +
      'Continuous glucose monitors report blood sugar every five minutes to the pump. ' +
      'Closed loop systems adjust the basal rate automatically overnight. ' +
      'Children using pumps had fewer episodes of severe hypoglycaemia in the trial.',
  },
  {
    id: 'd2',
    title: '',
    text:
      'aspirin lowers the risk of a second heart attack in adults with coronary disease . ' +
      'gastric bleeding is the main harm of daily low dose aspirin therapy . ' +
      'proton pump inhibitors reduce upper gastrointestinal bleeding in aspirin users .',
  },
  { id: 'short', title: 'Too short', text: 'Only five words are here.' },
  {
    id: 'd3',
    title: 'Asthma inhalers',
    text:
      'Key Points - Inhaled corticosteroids reduce airway inflammation in persistent asthma. ' +
      '- Spacers help children use metered dose inhalers correctly. ' +
      'A written action plan tells patients when to step up treatment.',
  },
];

const opts = (o: Partial<PseudoOptions>): PseudoOptions => ({ ...DEFAULT_PSEUDO, minDocWords: 10, ...o });
const stable = (items: SynthItem[]) =>
  items.map(({ provenance, ...rest }) => ({ ...rest, settings: provenance.settings }));

describe('splitSentences', () => {
  it('splits "word . next", "word. Next" and " - " bullets, without the bullet', () => {
    expect(splitSentences('a b . c d . e').map((s) => s.text)).toEqual(['a b .', 'c d .', 'e']);
    expect(splitSentences('Key Points - One thing. - Two things. Three.').map((s) => s.text)).toEqual([
      'Key Points',
      'One thing.',
      'Two things.',
      'Three.',
    ]);
    const t = 'First one. Second one.';
    for (const s of splitSentences(t)) expect(t.slice(s.start, s.end)).toBe(s.text);
  });
});

describe('pseudoQueries: ict', () => {
  it('takes a sentence as the query and removes it from the positive, title kept', () => {
    const items = pseudoQueries(DOCS, 's', opts({ method: 'ict', perDoc: 2 }));
    expect(items.filter((i) => i.docId === 'short')).toEqual([]);
    for (const it of items) {
      const doc = DOCS.find((d) => d.id === it.docId)!;
      expect(doc.text).toContain(it.query);
      expect(it.positive).not.toContain(it.query);
      expect(normaliseQuery(it.positive)).not.toContain(normaliseQuery(it.query));
      if (doc.title) expect(it.positive.startsWith(`${doc.title}\n`)).toBe(true);
      expect(it.status).toBe('pending');
      expect(it.negatives).toEqual([]);
      expect(it.set).toBe('s');
      expect(it.provenance.method).toBe('ict');
      expect(it.provenance.settings).toMatchObject({ perDoc: 2, minDocWords: 10, seed: 42 });
      expect(Number.isNaN(Date.parse(it.provenance.createdAt))).toBe(false);
      expect(it.query.startsWith('-')).toBe(false);
      expect(it.positive).not.toMatch(/ - - /);
    }
    expect(items.filter((i) => i.docId === 'd1')).toHaveLength(2);
    expect(new Set(items.map((i) => i.id)).size).toBe(items.length);
  });

  it('cuts a sentence longer than the maximum to a span within the limits', () => {
    const items = pseudoQueries(
      DOCS,
      's',
      opts({ method: 'ict', perDoc: 3, queryWords: { min: 3, max: 6 } }),
    );
    expect(items.length).toBeGreaterThan(0);
    for (const it of items) {
      const n = words(it.query).length;
      expect(n).toBeGreaterThanOrEqual(3);
      expect(n).toBeLessThanOrEqual(6);
    }
  });

  it('is deterministic by seed, differs with another seed, and does not depend on corpus order', () => {
    const a = pseudoQueries(DOCS, 's', opts({ method: 'ict', seed: 7 }));
    const b = pseudoQueries(DOCS, 's', opts({ method: 'ict', seed: 7 }));
    expect(stable(a)).toEqual(stable(b));
    const rev = pseudoQueries([...DOCS].reverse(), 's', opts({ method: 'ict', seed: 7 }));
    expect(new Set(stable(rev).map((i) => JSON.stringify(i)))).toEqual(
      new Set(stable(a).map((i) => JSON.stringify(i))),
    );
    const seeds = [1, 2, 3, 4, 5].map((s) =>
      pseudoQueries(DOCS, 's', opts({ method: 'ict', seed: s }))
        .map((i) => i.query)
        .join('|'),
    );
    expect(new Set(seeds).size).toBeGreaterThan(1);
  });

  it('drops a query that two documents share, and keeps one copy within a document', () => {
    const shared = 'This exact sentence appears in two different documents here.';
    const twin: Doc[] = [
      { id: 'x', title: '', text: `${shared} Alpha beta gamma delta epsilon zeta eta theta.` },
      { id: 'y', title: '', text: `${shared} Iota kappa lambda mu nu xi omicron pi rho.` },
    ];
    const items = pseudoQueries(twin, 's', opts({ method: 'ict', perDoc: 2, minDocWords: 5 }));
    expect(items.map((i) => i.query)).not.toContain(shared);
    expect(items.map((i) => i.docId).sort()).toEqual(['x', 'y']);
    // a sentence that a document repeats would stay in its own positive: never a query
    const rep: Doc[] = [{ id: 'r', title: '', text: `${shared} Other words to fill the text up. ${shared}` }];
    const r = pseudoQueries(rep, 's', opts({ method: 'ict', perDoc: 3, minDocWords: 5 }));
    expect(r.map((i) => i.query)).toEqual(['Other words to fill the text up.']);
  });

  it('rejects bad settings with a message naming them', () => {
    expect(() => pseudoQueries(DOCS, 's', opts({ perDoc: 0 }))).toThrow(/perDoc/);
    expect(() => pseudoQueries(DOCS, 's', opts({ queryWords: { min: 5, max: 2 } }))).toThrow(
      /queryWords.max/,
    );
  });
});

describe('pseudoQueries: title', () => {
  it('uses the title first, then key phrases of the document, on the whole document', () => {
    const items = pseudoQueries(
      DOCS,
      's',
      opts({ method: 'title', perDoc: 3, queryWords: { min: 2, max: 8 } }),
    );
    const d1 = items.filter((i) => i.docId === 'd1');
    expect(d1[0].query).toBe('Insulin pumps in type 1 diabetes');
    expect(d1[0].provenance.settings.source).toBe('title');
    expect(d1.length).toBe(3);
    for (const it of items) {
      const doc = DOCS.find((d) => d.id === it.docId)!;
      expect(it.positive).toBe(doc.title ? `${doc.title}\n${doc.text}` : doc.text);
      expect(it.provenance.method).toBe('title');
      if (it.provenance.settings.source === 'keyphrases') {
        const n = words(it.query).length;
        expect(n).toBeGreaterThanOrEqual(2);
        expect(n).toBeLessThanOrEqual(8);
        // every key-phrase word is a word of the document, never a stopword
        for (const w of it.query.split(' ')) expect(doc.text.toLowerCase()).toContain(w);
        expect(it.query.split(' ')).not.toContain('the');
        expect(new Set(it.query.split(' ')).size).toBe(it.query.split(' ').length);
        expect(it.score).toBeGreaterThan(0);
      }
    }
    const d2 = items.filter((i) => i.docId === 'd2');
    expect(d2.length).toBeGreaterThan(0);
    expect(d2.every((i) => i.provenance.settings.source === 'keyphrases')).toBe(true);
    const qs = items.map((i) => `${i.docId} ${normaliseQuery(i.query)}`);
    expect(new Set(qs).size).toBe(qs.length);
  });

  it('drops a title two documents share', () => {
    const docs: Doc[] = [
      { id: 'a', title: 'Same title', text: 'alpha beta gamma delta epsilon zeta eta theta iota kappa.' },
      { id: 'b', title: 'same  TITLE', text: 'lambda mu nu xi omicron pi rho sigma tau upsilon.' },
    ];
    const items = pseudoQueries(
      docs,
      's',
      opts({ method: 'title', perDoc: 2, minDocWords: 5, queryWords: { min: 2, max: 4 } }),
    );
    expect(items.map((i) => normaliseQuery(i.query))).not.toContain('same title');
    expect(items.length).toBeGreaterThan(0);
  });
});

const REAL = hasSharedDatasets(['med']);
describe.skipIf(!REAL)('pseudoQueries on the real med corpus', () => {
  for (const method of ['ict', 'title'] as const) {
    it(`${method}: counts, lengths, determinism, dedup, progress`, async () => {
      const ds = await loadSharedDataset('med');
      const o = opts({ method, perDoc: 2, minDocWords: 30, queryWords: { min: 4, max: 16 } });
      const progress: number[] = [];
      const t0 = performance.now();
      const items = pseudoQueries(ds.docs, 'med', o, (done) => progress.push(done));
      expect(performance.now() - t0).toBeLessThan(10_000);
      expect(progress.at(-1)).toBe(ds.docs.length);
      const eligible = ds.docs.filter((d) => words(d.title).length + words(d.text).length >= 30).length;
      expect(items.length).toBeLessThanOrEqual(2 * eligible);
      expect(items.length).toBeGreaterThan(1.8 * eligible);
      const byDoc = new Map<string, number>();
      for (const it of items) byDoc.set(it.docId, (byDoc.get(it.docId) ?? 0) + 1);
      expect(Math.max(...byDoc.values())).toBeLessThanOrEqual(2);
      for (const it of items) {
        const n = words(it.query).length;
        expect(n).toBeGreaterThanOrEqual(method === 'title' ? 2 : 4);
        expect(n).toBeLessThanOrEqual(16);
        if (method === 'ict') expect(normaliseQuery(it.positive)).not.toContain(normaliseQuery(it.query));
        // a key-phrase query never repeats a word
        else if (it.provenance.settings.source === 'keyphrases')
          expect(new Set(it.query.split(' ')).size).toBe(n);
      }
      const keys = items.map((i) => normaliseQuery(i.query));
      expect(new Set(keys).size).toBe(keys.length);
      const again = pseudoQueries(ds.docs, 'med', o);
      expect(stable(again)).toEqual(stable(items));
    });
  }
});
