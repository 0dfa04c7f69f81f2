import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import type { JobProgress } from '../../client';
import { connectInProcess } from '../../local';
import { nodeEngineDeps } from '../../../testing/engine-deps';
import { snapshot } from '../../../testing/bundle-fixture';

let n = 0;
function setup() {
  const deps = nodeEngineDeps(`bundle-feature-${++n}-${Date.now()}`);
  const { client } = connectInProcess(deps, () => undefined);
  return { client, db: deps.db };
}

describe('bundle requests', () => {
  it('export a project and import it into an empty studio, with progress; a damaged file is refused', async () => {
    const a = setup();
    await a.client.request('init', { baseUrl: 'http://localhost/', backend: 'cpu' });
    await a.client.request('load-demo', {});
    const run = await a.client.request('evaluate', {
      dataset: 'demo',
      split: 'test',
      retriever: 'bm25',
      backend: 'cpu',
    });
    const packed: JobProgress[] = [];
    const out = await a.client.request('export-bundle', {}, (p) => packed.push(p));
    expect(out.fileName).toMatch(/^stm-project-\d{4}-\d\d-\d\d-\d{4}\.stmbundle$/);
    expect(out.blob.size).toBeGreaterThan(1000);
    expect(packed.some((p) => p.phase === 'pack')).toBe(true);
    expect(out.manifest.parts.find((p) => p.name === 'runs')?.records).toBe(1);

    const b = setup();
    const damaged = new Uint8Array(await out.blob.arrayBuffer());
    const runs = out.manifest.parts.find((p) => p.name === 'runHits')!;
    damaged[damaged.length - out.manifest.parts.reduce((s, p) => s + p.bytes, 0) + runs.offset + 3] ^= 1;
    await expect(b.client.request('import-bundle', { file: new Blob([damaged]) })).rejects.toMatchObject({
      name: 'BundleError',
      message: 'bundle part runHits: checksum mismatch. Nothing was imported.',
    });
    expect(await b.client.request('list-datasets', {})).toEqual([]);

    const seen: JobProgress[] = [];
    const summary = await b.client.request('import-bundle', { file: out.blob }, (p) => seen.push(p));
    expect(summary.datasets).toEqual(['demo']);
    expect(new Set(seen.map((p) => p.phase))).toEqual(new Set(['queued', 'read', 'verify', 'save']));
    expect((await b.client.request('list-runs', {})).map((r) => r.id)).toEqual([run.id]);
    const details = await b.client.request('query-details', {
      runId: run.id,
      qid: Object.keys(run.report.perQuery)[0],
    });
    expect(details.top.length).toBeGreaterThan(0);
    const [sa, sb] = [await snapshot(await a.db()), await snapshot(await b.db())];
    for (const s of ['datasets', 'datasetChunks', 'runs', 'runHits']) expect(sb[s], s).toEqual(sa[s]);
  });
});
