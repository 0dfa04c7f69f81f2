import { describe, expect, it } from 'vitest';
import type { MergeSearchResult } from '../../../worker/features/merge-search/protocol';
import { bestReference, bestSoFar } from './trials';

const trial = (index: number, objective: number) => ({ index, x: [], scores: {}, objective, label: '' });

describe('merge search view', () => {
  it('draws the best-so-far curve and finds the best single model on dev', () => {
    expect(bestSoFar([trial(1, 0.3), trial(2, 0.2), trial(3, 0.5), trial(4, 0.4)])).toEqual([
      0.3, 0.3, 0.5, 0.5,
    ]);
    const r = {
      reference: [
        { model: 'base', scores: { a: 0.2, b: 0.4 } },
        { model: 'E1', scores: { a: 0.5, b: 0.3 } },
      ],
    } as unknown as MergeSearchResult;
    expect(bestReference(r)).toEqual({ model: 'E1', objective: 0.4 });
  });
});
