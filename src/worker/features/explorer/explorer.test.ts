import 'fake-indexeddb/auto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { sharedDatasetsDir } from '../../../data/node';
import { alignTo } from '../../../explore/align';
import { saveExpert } from '../../../store/training';
import { nodeEngineDeps } from '../../../testing/engine-deps';
import { adapterExpertRecord } from '../../../testing/expert-record';
import { Rng } from '../../../util/rng';
import { connectInProcess } from '../../local';
import type { ExplorerView } from './protocol';

const MED = join(sharedDatasetsDir(), 'med');
const medFiles = () => [
  new File([readFileSync(join(MED, 'corpus.jsonl'))], 'corpus.jsonl'),
  new File([readFileSync(join(MED, 'queries.jsonl'))], 'queries.jsonl'),
  new File([readFileSync(join(MED, 'qrels', 'test.tsv'))], 'test.tsv'),
];

let n = 0;
async function medEngine() {
  const deps = nodeEngineDeps(`explorer-test-${++n}-${Date.now()}`);
  const { client } = connectInProcess(deps);
  await client.request('init', { baseUrl: 'http://localhost/', backend: 'cpu' });
  await client.request('import-dataset', { files: medFiles(), name: 'med' });
  return { client, db: deps.db };
}

/** mean distance a point moves between two views of the same points */
function meanMove(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i += 2) s += Math.hypot(a[i] - b[i], a[i + 1] - b[i + 1]);
  return s / (a.length / 2);
}

function checkView(v: ExplorerView) {
  const points = v.ids.length;
  expect(v.kinds).toHaveLength(points);
  expect(v.titles).toHaveLength(points);
  expect(v.coords).toHaveLength(2 * points);
  expect([...v.coords].every(Number.isFinite)).toBe(true);
  expect(v.explained[0]).toBeGreaterThan(v.explained[1]);
  expect(v.explained[0] + v.explained[1]).toBeLessThan(1);
  expect(v.explained[1]).toBeGreaterThan(0);
}

describe('explorer feature (issue 12 item 5)', () => {
  it('GloVe on med: every query and document, PCA coordinates, judgements, and the same top 10 as an evaluation', async () => {
    const { client } = await medEngine();
    const run = await client.request('evaluate', {
      dataset: 'med',
      split: 'test',
      retriever: { model: 'glove' },
      backend: 'cpu',
    });
    const v = await client.request('explore', {
      dataset: 'med',
      split: 'test',
      model: 'glove',
      backend: 'cpu',
    });
    checkView(v);
    expect(v.kinds.filter((k) => k === 'query')).toHaveLength(30);
    expect(v.kinds.filter((k) => k === 'doc')).toHaveLength(1033);
    expect(v.topScope).toBe('corpus');
    // med's qrels are binary: grade 1 for the judged documents
    expect(Object.keys(v.qrels)).toHaveLength(30);
    expect(Object.values(v.qrels['1']).every((g) => g === 1)).toBe(true);
    for (const qid of ['1', '7', '30']) {
      const details = await client.request('query-details', { runId: run.id, qid });
      expect(v.top[qid].map((d) => d.id)).toEqual(details.top.map((d) => d.id));
      expect(v.top[qid].map((d) => d.grade)).toEqual(details.top.map((d) => d.grade));
      expect(v.top[qid].every((d) => d.shown)).toBe(true);
    }
    // the two coordinates are uncorrelated (principal components) and centred
    let [sx, sy, sxy] = [0, 0, 0];
    for (let i = 0; i < v.coords.length; i += 2) {
      sx += v.coords[i];
      sy += v.coords[i + 1];
      sxy += v.coords[i] * v.coords[i + 1];
    }
    const m = v.coords.length / 2;
    expect(Math.abs(sx / m)).toBeLessThan(1e-4);
    expect(Math.abs(sy / m)).toBeLessThan(1e-4);
    expect(Math.abs(sxy / m)).toBeLessThan(1e-4);
  });

  it('USE-lite and an adapter expert over it: the same sampled points under each model, moved; aligned views move less', async () => {
    const { client, db } = await medEngine();
    const dim = 512;
    const rng = new Rng(5);
    const w = new Float32Array(dim * dim);
    for (let i = 0; i < w.length; i++) w[i] = 0.08 * rng.normal();
    for (let i = 0; i < dim; i++) w[i * dim + i] += 1;
    await saveExpert(
      adapterExpertRecord({ id: 'ad1', name: 'adapter over USE', baseModel: 'use-lite' }),
      [
        { name: 'adapter.W', shape: [dim, dim], data: w },
        { name: 'adapter.b', shape: [dim], data: new Float32Array(dim) },
      ],
      await db(),
    );
    const req = { dataset: 'med', split: 'test', backend: 'cpu' as const, maxPoints: 45 };
    const base = await client.request('explore', { ...req, model: 'use-lite' });
    const expert = await client.request('explore', { ...req, model: 'expert:ad1' });
    for (const v of [base, expert]) {
      checkView(v);
      expect(v.ids).toHaveLength(45);
      expect(v.topScope).toBe('sample');
      expect(v.top[v.ids[0]].every((d) => d.shown)).toBe(true);
    }
    expect(base.kinds.filter((k) => k === 'query')).toHaveLength(15); // a third of the points
    expect(expert.ids).toEqual(base.ids);
    const aligned = alignTo(base, expert);
    const raw = meanMove(base.coords, expert.coords);
    const turned = meanMove(base.coords, aligned);
    expect(turned).toBeGreaterThan(0);
    expect(turned).toBeLessThanOrEqual(raw + 1e-6);
    // the sample is the model's and seed's alone: a second look at the base is the same view
    const again = await client.request('explore', { ...req, model: 'use-lite' });
    expect(again.ids).toEqual(base.ids);
    expect(meanMove(again.coords, base.coords)).toBeLessThan(1e-5);
    console.log(
      `explorer med USE-lite: ${base.seconds.toFixed(1)} s (expert ${expert.seconds.toFixed(1)} s, again ${again.seconds.toFixed(1)} s), explained ${base.explained.map((e) => (100 * e).toFixed(1)).join('% + ')}%; expert moved points ${raw.toFixed(3)} raw, ${turned.toFixed(3)} aligned`,
    );
  });

  it('refuses a bad request naming what is wrong', async () => {
    const { client } = await medEngine();
    await expect(
      client.request('explore', { dataset: 'med', split: 'dev', model: 'glove', backend: 'cpu' }),
    ).rejects.toThrow(/no qrels split "dev"; its splits: test/);
    await expect(
      client.request('explore', {
        dataset: 'med',
        split: 'test',
        model: 'glove',
        backend: 'cpu',
        maxPoints: 5,
      }),
    ).rejects.toThrow(/maxPoints must be an integer in 20..5000/);
    await expect(
      client.request('explore', { dataset: 'med', split: 'test', model: 'expert:nope', backend: 'cpu' }),
    ).rejects.toThrow(/nope/);
  });
});
