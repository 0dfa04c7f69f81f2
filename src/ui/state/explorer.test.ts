import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import { alignTo } from '../../explore/align';
import { saveExpert } from '../../store/training';
import { adapterExpertRecord } from '../../testing/expert-record';
import { uiApp } from '../../testing/ui-app';
import { Rng } from '../../util/rng';

describe('UI store: explorer (issue 12 item 5)', () => {
  it('shows a model’s map as a job, aligns the next model’s map to it, keeps the query, and reuses stored maps until the split changes', async () => {
    const { store, db } = uiApp(`ui-explorer-${Date.now()}`);
    await store.getState().hydrate();
    await store.getState().setBackendPref('cpu');
    await store.getState().showExplorer('glove');
    expect(store.getState().errors.at(-1)?.message).toMatch(/Choose a dataset and a split first/);
    await store.getState().loadDemo();
    const dim = 100;
    const rng = new Rng(3);
    const w = Float32Array.from(
      { length: dim * dim },
      (_, i) => (i % (dim + 1) === 0 ? 1 : 0) + 0.1 * rng.normal(),
    );
    await saveExpert(
      adapterExpertRecord({ id: 'g1', name: 'glove adapter' }),
      [
        { name: 'adapter.W', shape: [dim, dim], data: w },
        { name: 'adapter.b', shape: [dim], data: new Float32Array(dim) },
      ],
      await db(),
    );
    let jobs = 0;
    store.subscribe((s, prev) => {
      for (const id of Object.keys(s.jobs))
        if (!(id in prev.jobs) && s.jobs[Number(id)].kind === 'explorer') jobs++;
    });

    await store.getState().showExplorer('glove');
    const base = store.getState().explorerShown!;
    expect(base.key).toBe('demo|test|glove');
    expect([...base.coords]).toEqual([...base.view.coords]); // the first map is shown as computed
    const qid = store.getState().explorerQid;
    expect(qid).toBe(base.view.ids[0]);
    store.getState().selectExplorerQuery(base.view.ids[5]);

    await store.getState().showExplorer('expert:g1');
    const expert = store.getState().explorerShown!;
    expect(expert.view.ids).toEqual(base.view.ids);
    expect([...expert.coords]).toEqual([
      ...alignTo({ ids: base.view.ids, coords: base.coords }, expert.view),
    ]);
    expect([...expert.coords]).not.toEqual([...expert.view.coords]); // turned to match the map on screen
    expect(store.getState().explorerQid).toBe(base.view.ids[5]);

    await store.getState().showExplorer('glove'); // stored: no new job
    expect(store.getState().explorerShown!.key).toBe('demo|test|glove');
    expect(jobs).toBe(2);
    // the split changes (half of it dealt into dev): the stored map is stale and computed anew
    await store.getState().splitDataset({
      dataset: 'demo',
      from: 'test',
      into: [
        { name: 'dev', fraction: 0.5 },
        { name: 'test', fraction: 0.5 },
      ],
      seed: 1,
      replace: true,
    });
    await store.getState().showExplorer('glove');
    expect(jobs).toBe(3);
    const fewer = store.getState().explorerShown!.view;
    expect(fewer.kinds.filter((k) => k === 'query').length).toBe(24);
  });
});
