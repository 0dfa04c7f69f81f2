import { describe, expect, it } from 'vitest';
import { createStore } from 'zustand/vanilla';
import { makeFail } from './jobs';
import type { UiState } from './types';

describe('makeFail', () => {
  it('shows one failure once, naming every action it stopped; a different failure gets its own row', () => {
    const store = createStore<Pick<UiState, 'errors'>>()(() => ({ errors: [] }));
    const fail = makeFail(store.setState as Parameters<typeof makeFail>[0]);
    const closed = Object.assign(new Error('storage upgraded elsewhere; reload this page'), {
      name: 'StorageVersionError',
    });
    fail('Saving settings', closed);
    fail('Load demo collection', closed);
    fail('Load demo collection', closed);
    fail('Import', new Error('bad line'));
    const errors = store.getState().errors;
    expect(errors.map((e) => e.context)).toEqual(['Saving settings and Load demo collection', 'Import']);
    expect(errors[0].name).toBe('StorageVersionError');
  });
});
