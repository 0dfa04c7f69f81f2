import 'fake-indexeddb/auto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { sharedDatasetsDir } from '../data/node';
import { evaluate, type EmbeddingCache } from '../eval/evaluate';
import { DeviceLostError, WebGPUUnavailableError } from '../core/backend';
import { countEmbeddings } from '../store/embeddings';
import { selectBackend } from '../gpu/select';
import type { JobProgress } from './client';
import type { EngineDeps } from './host';
import { nodeEngineDeps } from '../testing/engine-deps';
import { connectInProcess } from './local';
import { EngineError, type BackendInfo, type WorkerEvent } from './protocol';

const MED = join(sharedDatasetsDir(), 'med');
const medFiles = (queries = readFileSync(join(MED, 'queries.jsonl'), 'utf8')) => [
  new File([readFileSync(join(MED, 'corpus.jsonl'))], 'corpus.jsonl'),
  new File([queries], 'queries.jsonl'),
  new File([readFileSync(join(MED, 'qrels', 'test.tsv'))], 'test.tsv'),
];

/** Counts, per evaluation, how many chunks the cache already had. */
function countingHits(cache: EmbeddingCache, hits: number[]): EmbeddingCache {
  const i = hits.push(0) - 1;
  return {
    get: async (k) => {
      const v = await cache.get(k);
      if (v) hits[i]++;
      return v;
    },
    put: (k, v) => cache.put(k, v),
  };
}

let n = 0;
/** An engine and a client joined in-process; events are structured-cloned as across a worker boundary. */
function setup(overrides: Partial<EngineDeps> = {}) {
  const dbName = `engine-test-${++n}-${Date.now()}`;
  const deps = nodeEngineDeps(dbName, overrides);
  const events: WorkerEvent[] = [];
  const { client, engine } = connectInProcess(deps, (e) => events.push(e));
  return { client, engine, events, db: deps.db };
}

describe('engine protocol', () => {
  it('answers a malformed request with an error event naming the problem', async () => {
    const { engine, events } = setup();
    await engine.handle({
      id: 7,
      type: 'evaluate',
      dataset: 'med',
      split: 'test',
      retriever: 'bm25',
      backend: 'auto',
      bm25: { b: 3 },
    });
    await engine.handle({ id: 8, type: 'frobnicate' });
    await engine.handle('nonsense');
    expect(events).toEqual([
      { type: 'error', id: 7, name: 'ProtocolError', message: 'bm25 k1 must be in 0..100 and b in 0..1' },
      { type: 'error', id: 8, name: 'ProtocolError', message: 'unknown request type "frobnicate"' },
      { type: 'error', id: -1, name: 'ProtocolError', message: 'message is not an object' },
    ]);
  });

  it('imports files with progress, lists them, and names file:line of bad input', async () => {
    const { client } = setup();
    const progress: JobProgress[] = [];
    const meta = await client.request('import-dataset', { files: medFiles(), name: 'med' }, (p) =>
      progress.push(p),
    );
    expect(meta).toMatchObject({
      name: 'med',
      counts: { docs: 1033, queries: 30 },
      splits: { test: { queries: 30 } },
    });
    expect(progress.map((p) => p.phase)).toEqual(expect.arrayContaining(['queued', 'read', 'save']));
    expect((await client.request('list-datasets', {})).map((m) => m.name)).toEqual(['med']);

    const broken = readFileSync(join(MED, 'queries.jsonl'), 'utf8').split('\n');
    broken[4] = '{"_id": "5", "text": ';
    const err = await client
      .request('import-dataset', { files: medFiles(broken.join('\n')), name: 'med' })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(EngineError);
    expect(err).toMatchObject({ name: 'DataError', file: 'queries.jsonl', line: 5 });
    // the stored version is untouched
    expect((await client.request('list-datasets', {}))[0].counts.queries).toBe(30);
  });

  it('evaluates BM25, stores the run, and serves a drill-down', async () => {
    const { client } = setup();
    await client.request('import-dataset', { files: medFiles(), name: 'med' });
    const phases = new Set<string>();
    const rec = await client.request(
      'evaluate',
      { dataset: 'med', split: 'test', retriever: 'bm25', backend: 'cpu' },
      (p) => phases.add(p.phase),
    );
    expect([...phases]).toEqual(expect.arrayContaining(['index', 'search', 'score', 'save']));
    expect(rec).toMatchObject({ dataset: 'med', split: 'test', retriever: 'bm25', backend: 'none' });
    expect(rec.report.queries).toBe(30);
    expect(rec.report.metrics['ndcg@10']).toBeGreaterThan(0.5); // Lucene BM25 scores ~.69 on med
    expect((await client.request('list-runs', { dataset: 'med' })).map((r) => r.id)).toEqual([rec.id]);

    const qd = await client.request('query-details', { runId: rec.id, qid: '1' });
    expect(qd.text).toBe('the crystalline lens in vertebrates, including humans.');
    expect(qd.top).toHaveLength(10);
    expect(qd.top.map((d) => d.rank)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    const judged = qd.top.filter((d) => d.grade !== null).length + qd.missed.length;
    expect(judged).toBeGreaterThan(0);
    for (const m of qd.missed) expect(m.grade).toBeGreaterThan(0);
    expect(qd.metrics['ndcg@10']).toBe(rec.report.perQuery['1']['ndcg@10']);
    const texts = await client.request('query-texts', { dataset: 'med' });
    expect(Object.keys(texts)).toHaveLength(30);
    expect(texts['1']).toBe(qd.text);
    await expect(client.request('query-details', { runId: rec.id, qid: 'zzz' })).rejects.toThrow(
      /no query "zzz"/,
    );

    await client.request('delete-dataset', { name: 'med' });
    expect(await client.request('list-runs', {})).toEqual([]);
    await expect(
      client.request('evaluate', { dataset: 'med', split: 'test', retriever: 'bm25', backend: 'cpu' }),
    ).rejects.toMatchObject({ name: 'DatasetNotFoundError' });
  });

  it('cancels a running job and a queued one; nothing is stored for them', async () => {
    const { client } = setup();
    await client.request('import-dataset', { files: medFiles(), name: 'med' });
    const body = { dataset: 'med', split: 'test', retriever: 'bm25' as const, backend: 'cpu' as const };
    let first!: ReturnType<typeof client.start<'evaluate'>>;
    const started = new Promise<void>((res) => {
      first = client.start('evaluate', body, (p) => p.phase === 'search' && res());
    });
    const second = client.start('evaluate', body);
    const third = client.start('evaluate', body);
    await started;
    first.cancel();
    second.cancel();
    await expect(first.promise).rejects.toMatchObject({ name: 'AbortError', message: 'Cancelled' });
    await expect(second.promise).rejects.toMatchObject({ name: 'AbortError' });
    const ok = await third.promise;
    expect((await client.request('list-runs', {})).map((r) => r.id)).toEqual([ok.id]);
    expect(await client.request('cancel', { target: 9999 })).toEqual({ cancelled: false });
  });

  it('acquires the backend only when asked, and reports it', async () => {
    const { client } = setup();
    const seen: BackendInfo[] = [];
    client.onBackend((info) => seen.push(info));
    const init = await client.request('init', { baseUrl: 'http://localhost/', backend: 'cpu' });
    expect(init.models.map((m) => m.id)).toContain('glove');
    expect(seen).toEqual([]);
    const info = await client.request('set-backend', { backend: 'cpu' });
    expect(info).toMatchObject({ kind: 'cpu', pref: 'cpu' });
    expect(seen).toEqual([info]);
  });

  it("reports which backend 'auto' took and why: the CPU over a software adapter", async () => {
    // a GPU whose only adapter is SwiftShader (as Chromium and Dawn report it); auto must not open it
    const adapter = {
      info: { vendor: 'google', architecture: 'swiftshader', device: '', description: 'SwiftShader Device' },
      limits: {},
      features: new Set<string>(),
      requestDevice: () => Promise.reject(new Error('auto opened the software adapter')),
    };
    const gpu = { requestAdapter: async () => adapter } as unknown as GPU;
    const { client } = setup({ selectBackend: (pref) => selectBackend(pref, { gpu }) });
    const seen: BackendInfo[] = [];
    client.onBackend((info) => seen.push(info));
    await client.request('init', { baseUrl: 'http://localhost/', backend: 'auto' });
    const info = await client.request('set-backend', { backend: 'auto' });
    expect(info).toEqual({
      kind: 'cpu',
      label: expect.stringMatching(/^CPU/),
      pref: 'auto',
      reason: 'auto: the only WebGPU adapter is SwiftShader (a software renderer, slower than the CPU path)',
      skipped: 'SwiftShader',
    });
    expect(seen).toEqual([info]);
    // asked for explicitly, WebGPU goes to the software adapter
    await expect(client.request('set-backend', { backend: 'webgpu' })).rejects.toThrow(
      /auto opened the software adapter/,
    );
  });

  it('recovers from a lost device mid-embedding and resumes from the cached chunks', async () => {
    let lost = false;
    const cacheHits: number[] = [];
    const { client, events, db } = setup({
      // the device goes away after two corpus chunks were embedded and cached
      evaluate: (opts) =>
        evaluate({
          ...opts,
          retriever:
            opts.retriever.kind === 'dense'
              ? { ...opts.retriever, cache: countingHits(opts.retriever.cache!, cacheHits) }
              : opts.retriever,
          onProgress: (p) => {
            opts.onProgress?.(p);
            if (!lost && p.phase === 'embed-corpus' && p.done >= 512) {
              lost = true;
              throw new DeviceLostError('unknown', 'simulated loss');
            }
          },
        }),
    });
    await client.request('init', { baseUrl: 'http://localhost/', backend: 'cpu' });
    await client.request('import-dataset', { files: medFiles(), name: 'med' });
    const corpusProgress: number[] = [];
    const rec = await client.request(
      'evaluate',
      { dataset: 'med', split: 'test', retriever: { model: 'glove' }, backend: 'cpu' },
      (p) => {
        if (p.phase === 'embed-corpus') corpusProgress.push(p.done);
      },
    );
    expect(lost).toBe(true);
    expect(rec).toMatchObject({ retriever: 'glove', backend: 'cpu' });
    expect(rec.report.metrics['ndcg@10']).toBeGreaterThan(0.3);
    const backendEvents = events.filter((e) => e.type === 'backend');
    expect(backendEvents).toHaveLength(2);
    expect(backendEvents[1]).toMatchObject({
      info: { kind: 'cpu' },
      notice: expect.stringMatching(/device lost.*acquired a new device/),
    });
    // both attempts report every chunk; the first stopped at 512 docs
    // (progress also comes every 32 documents within a chunk; the chunk ends are what resume depends on)
    expect(corpusProgress.filter((d) => d % 256 === 0 || d === 1033)).toEqual([
      256, 512, 256, 512, 768, 1024, 1033,
    ]);
    expect(cacheHits).toEqual([0, 2]); // the retry reused the two chunks embedded before the loss
    expect(await countEmbeddings('med', await db())).toBe(5);
  });

  it('falls back to the CPU when no new device can be acquired after a loss', async () => {
    let calls = 0;
    let lost = false;
    const { client, events } = setup({
      selectBackend: async (pref) => {
        if (++calls === 2) throw new WebGPUUnavailableError('no adapter after the loss');
        return selectBackend(pref);
      },
      evaluate: (opts) => {
        if (opts.retriever.kind === 'dense' && !lost) {
          lost = true;
          return Promise.reject(new DeviceLostError('destroyed', 'simulated loss'));
        }
        return evaluate(opts);
      },
    });
    await client.request('init', { baseUrl: 'http://localhost/', backend: 'auto' });
    await client.request('load-demo', {});
    const rec = await client.request('evaluate', {
      dataset: 'demo',
      split: 'test',
      retriever: { model: 'glove' },
      backend: 'auto',
    });
    expect(rec.backend).toBe('cpu');
    expect(calls).toBe(3);
    const last = events.filter((e) => e.type === 'backend').at(-1);
    expect(last).toMatchObject({
      info: { kind: 'cpu', pref: 'cpu' },
      notice: expect.stringMatching(/fell back to the CPU/),
    });
  });

  it('loads the demo collection', async () => {
    const { client } = setup();
    const meta = await client.request('load-demo', {});
    expect(meta.name).toBe('demo');
    expect(meta.counts.docs).toBeGreaterThan(0);
    expect(Object.keys(meta.splits)).toContain('test');
  });
});
