import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import { nodeEngineDeps } from '../../../testing/engine-deps';
import { connectInProcess } from '../../local';

describe('split-dataset (worker)', () => {
  it('stores new query splits of the demo that evaluate; a taken name is refused unless replace', async () => {
    const { client } = connectInProcess(nodeEngineDeps(`split-${Date.now()}`), () => undefined);
    await client.request('load-demo', {});
    const into = [
      { name: 'train', fraction: 0.6 },
      { name: 'dev', fraction: 0.2 },
      { name: 'held', fraction: 0.2 },
    ];
    const r = await client.request('split-dataset', { dataset: 'demo', from: 'test', into, seed: 42 });
    expect(r.sizes).toEqual({ train: 29, dev: 10, held: 9 });
    expect(r.deletedRuns).toBe(0);
    expect(Object.keys(r.meta.splits).sort()).toEqual(['dev', 'held', 'test', 'train']);
    const run = await client.request('evaluate', {
      dataset: 'demo',
      split: 'held',
      retriever: 'bm25',
      backend: 'cpu',
    });
    expect(run.report.queries).toBe(9);
    const again = client.request('split-dataset', { dataset: 'demo', from: 'test', into, seed: 1 });
    await expect(again).rejects.toMatchObject({ name: 'SplitExistsError' });
    await expect(again).rejects.toThrow(/already has splits "train", "dev", "held" \(1 run on them\)/);
    const replaced = await client.request('split-dataset', {
      dataset: 'demo',
      from: 'test',
      into,
      seed: 1,
      replace: true,
    });
    expect(replaced.deletedRuns).toBe(1);
    await expect(
      client.request('split-dataset', {
        dataset: 'demo',
        from: 'dev',
        into: [{ name: 'a', fraction: 1 }],
        seed: 1,
      }),
    ).rejects.toThrow(/at least two splits/);
    await expect(
      client.request('split-dataset', { dataset: 'demo', from: 'nope', into, seed: 1 }),
    ).rejects.toThrow(/no split "nope" \(its splits: dev, held, test, train\)/);
  });
});
