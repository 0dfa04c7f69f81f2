import { describe, expect, it } from 'vitest';
import { hybridLabel, parseHybridLabel } from './hybrid-label';

describe('hybrid retriever ids', () => {
  it('round-trips rrf and wsum specs, experts included', () => {
    for (const spec of [
      { dense: 'use-lite', fusion: 'rrf' as const },
      { dense: 'expert:x-1:2', fusion: 'wsum' as const, alpha: 0.3 },
    ]) {
      expect(parseHybridLabel(hybridLabel(spec))).toEqual(spec);
    }
    expect(hybridLabel({ dense: 'm', fusion: 'wsum' })).toBe('hybrid:wsum@0.5:m');
  });
  it('refuses ids that are not hybrid or are malformed', () => {
    for (const id of ['bm25', 'use-lite', 'hybrid:rrf:', 'hybrid:wsum@2:m', 'hybrid:max:m', 'hybrid:rrf'])
      expect(parseHybridLabel(id)).toBeNull();
  });
});
