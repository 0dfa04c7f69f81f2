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
});
