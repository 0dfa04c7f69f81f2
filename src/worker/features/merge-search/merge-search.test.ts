import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import { expertFiles } from '../../../experts/files';
import { adapterExpertRecord } from '../../../testing/expert-record';
import { nodeEngineDeps } from '../../../testing/engine-deps';
import { Rng } from '../../../util/rng';
import { connectInProcess } from '../../local';

let n = 0;
function setup() {
  const deps = nodeEngineDeps(`merge-search-test-${++n}-${Date.now()}`);
  return connectInProcess(deps).client;
}

/** A full adapter over GloVe (100-d): W = I + noise, b = 0, as files to import. */
function expertFilesOf(id: string, seed: number): File[] {
  const dim = 100;
  const rng = new Rng(seed);
  const w = new Float32Array(dim * dim);
  for (let i = 0; i < w.length; i++) w[i] = (i % (dim + 1) === 0 ? 1 : 0) + (0.3 * rng.normal()) / 10;
  const weights = new Map([
    ['adapter.W', { shape: [dim, dim], data: w }],
    ['adapter.b', { shape: [dim], data: new Float32Array(dim) }],
  ]);
  return [...expertFiles(adapterExpertRecord({ id, name: id }), weights)].map(([f, d]) => new File([d], f));
}

describe('worker merge-search (issue 10 item 4)', () => {
  it('searches stored experts on a dev pool with progress, returns the trials, references and best; cancel keeps the trials done', async () => {
    const client = setup();
    await client.request('init', { baseUrl: 'http://localhost/', backend: 'cpu' });
    await client.request('load-demo', {});
    const a = await client.request('import-expert', { files: expertFilesOf('ea', 1) });
    const b = await client.request('import-expert', { files: expertFilesOf('eb', 2) });
    const req = {
      experts: [a.id, b.id],
      dev: [{ dataset: 'demo', split: 'test' }],
      method: 'task_arithmetic',
      strategy: 'random' as const,
      budget: 4,
      seed: 1,
      poolK: 10,
      backend: 'cpu' as const,
    };
    const details: string[] = [];
    const res = await client.start('merge-search', req, (p) => {
      if (p.phase === 'score' && p.detail) details.push(p.detail);
    }).promise;
    expect(res.trials.map((t) => t.index)).toEqual([1, 2, 3, 4]);
    expect(res.params).toEqual(['weight ea', 'weight eb']);
    expect(res.tasks).toEqual(['demo/test']);
    expect(res.reference.map((r) => r.model)).toEqual(['glove (base)', 'ea', 'eb']);
    expect(res.best.objective).toBe(Math.max(...res.trials.map((t) => t.objective)));
    expect(res.best.recipe.experts.map((e) => e.params.weight)).toEqual(res.best.x);
    expect(res.cancelled).toBe(false);
    expect(details[0]).toMatch(/^trial 1: 0\.\d{4} · best 0\.\d{4} \(#1\)$/);
    // the same seed gives the same trials
    const again = await client.request('merge-search', req);
    expect(again.trials.map((t) => t.x)).toEqual(res.trials.map((t) => t.x));
    // cancel after the second trial: the result holds the trials done
    let sent = false;
    const h = client.start('merge-search', { ...req, budget: 50 }, (p) => {
      if (p.phase === 'score' && p.done >= 2 && !sent) {
        sent = true;
        h.cancel();
      }
    });
    const cut = await h.promise;
    expect(cut.cancelled).toBe(true);
    expect(cut.trials.length).toBeGreaterThanOrEqual(2);
    expect(cut.trials.length).toBeLessThan(50);
  }, 120_000);

  it('refuses a bad request naming the field', async () => {
    const client = setup();
    const ok = {
      experts: ['x'],
      dev: [{ dataset: 'demo', split: 'test' }],
      method: 'ties',
      strategy: 'grid' as const,
      budget: 10,
      seed: 0,
      backend: 'cpu' as const,
    };
    await expect(client.request('merge-search', { ...ok, experts: [] })).rejects.toMatchObject({
      name: 'ProtocolError',
      message: 'merge-search needs experts: a list of expert ids',
    });
    await expect(
      client.request('merge-search', { ...ok, strategy: 'anneal' as 'grid' }),
    ).rejects.toMatchObject({ message: 'merge-search strategy must be grid|random|cmaes' });
    await expect(client.request('merge-search', { ...ok, budget: 0 })).rejects.toMatchObject({
      message: 'merge-search budget must be an integer in 1..100000',
    });
  });
});
