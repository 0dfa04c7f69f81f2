import { describe, expect, it } from 'vitest';
import { exportJsonl, matchesFilter } from './review';
import type { SynthItem } from './types';

const prov = (method: string) => ({ method, settings: {}, createdAt: 't' });
const item = (id: string, status: SynthItem['status'], negs: string[], score?: number): SynthItem => ({
  id,
  set: 's',
  docId: id,
  query: `q ${id}`,
  positive: `p ${id}`,
  negatives: negs.map((text) => ({ text, provenance: prov('mined') })),
  provenance: prov(score === undefined ? 'ict' : 'title'),
  status,
  ...(score === undefined ? {} : { score }),
});

describe('review export and filters', () => {
  const items = [
    item('a', 'accepted', []),
    item('b', 'pending', ['n1']),
    item('c', 'accepted', ['n1', 'n2'], 0.5),
    item('d', 'rejected', ['n1'], 0.9),
  ];
  it('writes the sentence-transformers shape: no negative, "negative", or "negatives"', () => {
    expect(exportJsonl(items, 'accepted')).toEqual({
      text: '{"query":"q a","positive":"p a"}\n{"query":"q c","positive":"p c","negatives":["n1","n2"]}\n',
      count: 2,
    });
    const nr = exportJsonl(items, 'not-rejected').text.trim().split('\n');
    expect(nr).toHaveLength(3);
    expect(JSON.parse(nr[1])).toEqual({ query: 'q b', positive: 'p b', negative: 'n1' });
    expect(exportJsonl([], 'accepted')).toEqual({ text: '', count: 0 });
  });
  it('filters by status, source and score (no score never passes a bound)', () => {
    const ids = (f: Parameters<typeof matchesFilter>[1]) =>
      items.filter((i) => matchesFilter(i, f)).map((i) => i.id);
    expect(ids({})).toEqual(['a', 'b', 'c', 'd']);
    expect(ids({ status: 'accepted' })).toEqual(['a', 'c']);
    expect(ids({ method: 'title' })).toEqual(['c', 'd']);
    expect(ids({ minScore: 0.6 })).toEqual(['d']);
    expect(ids({ maxScore: 0.6 })).toEqual(['c']);
    expect(ids({ status: 'rejected', method: 'title', minScore: 0.5, maxScore: 1 })).toEqual(['d']);
  });
});
