import { describe, expect, it } from 'vitest';
import { retrieverName } from './names';

const known = {
  experts: [{ id: 'x-mx5nlqiz-1aybk8c', name: 'med glove' }],
  models: [{ id: 'glove', name: 'GloVe 6B 100-d (mean)' }],
};

describe('retrieverName', () => {
  it('names BM25, models and experts instead of showing their ids', () => {
    expect(retrieverName('bm25', known)).toBe('BM25');
    expect(retrieverName('glove', known)).toBe('GloVe 6B 100-d (mean)');
    expect(retrieverName('expert:x-mx5nlqiz-1aybk8c', known)).toBe('med glove (expert)');
  });
  it('never shows a raw expert id, even for a deleted expert', () => {
    expect(retrieverName('expert:x-gone', known)).toBe('deleted expert');
    expect(retrieverName('expert:x-gone', known)).not.toContain('x-gone');
  });
  it('keeps an unknown model id as it is (it is the only name there is)', () => {
    expect(retrieverName('org/model', known)).toBe('org/model');
  });
  it('names BM25 with other parameters, merges, and hybrids by their parts', () => {
    const k = {
      ...known,
      experts: [...known.experts, { id: 'm1', name: 'med+nlu', merge: { method: 'ties' } }],
    };
    expect(retrieverName('bm25 k1=0.9 b=0.4', k)).toBe('BM25 (k1 0.9, b 0.4)');
    expect(retrieverName('expert:m1', k)).toBe('med+nlu (merge)');
    expect(retrieverName('hybrid:rrf:glove', k)).toBe('BM25 + GloVe 6B 100-d (mean) (RRF)');
    expect(retrieverName('hybrid:wsum@0.3:expert:m1', k)).toBe('BM25 + med+nlu (merge) (α 0.3)');
    expect(retrieverName('hybrid:wsum@7:glove', k)).toBe('hybrid:wsum@7:glove');
  });
});
