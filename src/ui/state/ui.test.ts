import 'fake-indexeddb/auto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { sharedDatasetsDir } from '../../data/node';
import { uiApp } from '../../testing/ui-app';

const MED = join(sharedDatasetsDir(), 'med');
const file = (path: string, name: string, text?: string) => new File([text ?? readFileSync(path)], name);

const app = (dbName: string) => uiApp(dbName).store;

describe('UI store', () => {
  it('imports, evaluates with progress, drills down, and rehydrates after a reload', async () => {
    const name = `ui-test-${Date.now()}`;
    const store = app(name);
    await store.getState().hydrate();
    expect(store.getState()).toMatchObject({
      ready: true,
      datasets: [],
      runs: [],
      tab: 'data',
      backendPref: 'auto',
    });
    expect(store.getState().models.map((m) => m.id)).toContain('glove');

    const files = [
      file(join(MED, 'corpus.jsonl'), 'corpus.jsonl'),
      file(join(MED, 'queries.jsonl'), 'queries.jsonl'),
      file(join(MED, 'qrels/test.tsv'), 'test.tsv'),
    ];
    await store.getState().importFiles(files, 'med');
    expect(store.getState()).toMatchObject({ dataset: 'med', split: 'test', jobs: {} });
    expect(store.getState().datasets.map((d) => d.counts.docs)).toEqual([1033]);

    const seenPhases = new Set<string>();
    const unsub = store.subscribe((s) => Object.values(s.jobs).forEach((j) => seenPhases.add(j.phase)));
    await store.getState().evaluate();
    unsub();
    expect(seenPhases.has('search')).toBe(true);
    const s1 = store.getState();
    expect(s1.jobs).toEqual({});
    expect(s1.runs).toHaveLength(1);
    expect(s1.selectedRunId).toBe(s1.runs[0].id);
    expect(s1.queryTexts?.dataset).toBe('med');
    expect(s1.queryTexts?.texts['3']).toBe('electron microscopy of lung or bronchi.');
    await s1.selectQuery('3');
    expect(store.getState().details).toMatchObject({
      qid: '3',
      text: 'electron microscopy of lung or bronchi.',
    });
    expect(store.getState().details?.top).toHaveLength(10);

    await store.getState().setBackendPref('cpu');
    expect(store.getState().backend).toMatchObject({ kind: 'cpu', pref: 'cpu' });

    // a reload: a new store over the same database
    const again = app(name);
    await again.getState().hydrate();
    expect(again.getState()).toMatchObject({
      dataset: 'med',
      split: 'test',
      backendPref: 'cpu',
      tab: 'evaluate',
    });
    expect(again.getState().runs.map((r) => r.id)).toEqual([s1.runs[0].id]);
  });

  it('shows a bad file as an error naming file and line, and stores nothing', async () => {
    const store = app(`ui-test-err-${Date.now()}`);
    await store.getState().hydrate();
    const files = [
      file(join(MED, 'corpus.jsonl'), 'corpus.jsonl'),
      file('', 'queries.jsonl', '{"_id": "1", "text": "ok"}\n{"_id": 2}\n'),
      file(join(MED, 'qrels/test.tsv'), 'test.tsv'),
    ];
    await store.getState().importFiles(files, 'bad');
    const errs = store.getState().errors;
    expect(errs).toHaveLength(1);
    expect(errs[0]).toMatchObject({
      name: 'DataError',
      file: 'queries.jsonl',
      line: 2,
      context: 'Import 3 files',
    });
    store.getState().dismissError(errs[0].seq);
    expect(store.getState().errors).toEqual([]);
    expect(store.getState().datasets).toEqual([]);
  });

  it('marks a job "cancelling" from the Cancel click until the worker ends it', async () => {
    const store = app(`ui-test-cancel-${Date.now()}`);
    await store.getState().hydrate();
    await store.getState().loadDemo();
    store.getState().setRetriever('glove');
    const running = store.getState().evaluate();
    await new Promise<void>((resolve) => {
      const unsub = store.subscribe((s) => {
        if (Object.values(s.jobs).some((j) => j.phase === 'embed-corpus')) {
          unsub();
          resolve();
        }
      });
    });
    const [job] = Object.values(store.getState().jobs);
    expect(job.cancelling).toBeUndefined();
    store.getState().cancelJob(job.id);
    expect(store.getState().jobs[job.id]?.cancelling).toBe(true);
    await running;
    expect(store.getState().jobs).toEqual({});
    expect(store.getState().runs.filter((r) => r.retriever === 'glove')).toEqual([]);
    expect(store.getState().errors).toEqual([]);
  });
});
