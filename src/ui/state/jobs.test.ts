import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import { createStore } from 'zustand/vanilla';
import { DB_VERSION, StorageVersionError } from '../../store/db';
import { nodeEngineDeps } from '../../testing/engine-deps';
import { connectInProcess } from '../../worker/local';
import { makeFail } from './jobs';
import { createUiStore } from './ui';
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

describe('an action whose closing list refresh fails', () => {
  it('shows the failure instead of leaving an unhandled rejection (another tab upgraded the storage)', async () => {
    const deps = nodeEngineDeps(`ui-refresh-${Date.now()}`);
    const { client } = connectInProcess(deps);
    let upgraded = false;
    const store = createUiStore(client, {
      baseUrl: 'http://localhost/',
      confirm: () => true,
      // the page's own connection fails once "another tab" upgraded the database
      db: () => (upgraded ? Promise.reject(new StorageVersionError('stm-studio', DB_VERSION)) : deps.db()),
    });
    await store.getState().hydrate();
    upgraded = true;
    await expect(store.getState().loadDemo()).resolves.toBeUndefined();
    const errors = store.getState().errors;
    // one row: the refresh, and the settings write that followed it, failed the same way
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({
      name: 'StorageVersionError',
      context: 'Reading the stored datasets and runs and Saving settings',
    });
  });
});
