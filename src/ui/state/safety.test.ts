/**
 * What the studio asks before it deletes or replaces anything, and how it goes on degraded (issue 8
 * items 5, 7, 8): the UI store joined in-process to the real worker engine over fake-indexeddb.
 */
import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import { expertDownload } from '../../experts/files';
import type { ExpertRecord } from '../../experts/record';
import { createTrainRun, saveExpert } from '../../store/training';
import { defaultTrainConfig } from '../../train/defaults';
import { uiApp } from '../../testing/ui-app';

let n = 0;
const dbName = (what: string) => `ui-safety-${what}-${++n}-${Date.now()}`;

/** A small BEIR collection as picked files (no folder: the default name is "imported"). */
function collection(extraDoc = '') {
  const docs = [
    { _id: 'd1', title: 'Lens', text: 'the crystalline lens of the eye in vertebrates' },
    { _id: 'd2', title: 'Lung', text: 'electron microscopy of lung tissue and bronchi' },
    { _id: 'd3', title: 'Heart', text: 'cardiac output measured during exercise' },
    ...(extraDoc ? [{ _id: 'd4', title: 'Extra', text: extraDoc }] : []),
  ];
  return [
    new File([docs.map((d) => JSON.stringify(d)).join('\n') + '\n'], 'corpus.jsonl'),
    new File(
      ['{"_id": "q1", "text": "lens of the eye"}\n{"_id": "q2", "text": "lung microscopy"}\n'],
      'queries.jsonl',
    ),
    new File(['query-id\tcorpus-id\tscore\nq1\td1\t1\nq2\td2\t1\n'], 'test.tsv'),
  ];
}

describe('datasets are never replaced without asking (item 5)', () => {
  it('an unnamed re-import gets a new name; a named one asks, stating the runs that would be deleted', async () => {
    const { store, asked, answers } = uiApp(dbName('import'));
    await store.getState().hydrate();
    await store.getState().importFiles(collection());
    expect(store.getState().dataset).toBe('imported');
    await store.getState().evaluate();
    expect(store.getState().runs).toHaveLength(1);

    // a second unnamed import of other files: stored beside the first, whose run stays
    await store.getState().importFiles(collection('a fourth document'));
    const s = store.getState();
    expect(s.datasets.map((d) => [d.name, d.counts.docs])).toEqual([
      ['imported', 3],
      ['imported (2)', 4],
    ]);
    expect(s.dataset).toBe('imported (2)');
    expect(s.runs.map((r) => r.dataset)).toEqual(['imported']);
    expect(asked).toEqual([]);

    // the user names it "imported": asked, with the run's fate; a no changes nothing
    answers.push(false);
    await store.getState().importFiles(collection('a fourth document'), 'imported');
    expect(asked).toHaveLength(1);
    expect(asked[0]).toMatch(
      /replaces dataset "imported"; its 1 evaluation run and cached embeddings will be deleted\.[\s\S]*Replace it\?$/,
    );
    expect(store.getState().errors).toEqual([]);
    expect(store.getState().datasets.find((d) => d.name === 'imported')?.counts.docs).toBe(3);
    expect(store.getState().runs).toHaveLength(1);

    // a yes replaces it and its run goes, as the question said
    answers.push(true);
    await store.getState().importFiles(collection('a fourth document'), 'imported');
    expect(asked).toHaveLength(2);
    expect(store.getState().datasets.find((d) => d.name === 'imported')?.counts.docs).toBe(4);
    expect(store.getState().runs).toEqual([]);
    expect(store.getState().errors).toEqual([]);
  }, 60_000);
});

describe('deleting asks first, and a re-imported expert is recognised (item 7)', () => {
  it('a run is deleted only after a yes, to a question naming it', async () => {
    const { store, asked, answers } = uiApp(dbName('run'));
    await store.getState().hydrate();
    await store.getState().importFiles(collection(), 'tiny');
    await store.getState().evaluate();
    const [run] = store.getState().runs;
    answers.push(false);
    await store.getState().deleteRun(run.id);
    expect(asked[0]).toMatch(
      /^Delete the BM25 run on tiny\/test \(\d{4}-\d\d-\d\d \d\d:\d\d UTC\)\? .*cannot be undone/,
    );
    expect(store.getState().runs.map((r) => r.id)).toEqual([run.id]);
    answers.push(true);
    await store.getState().deleteRun(run.id);
    expect(store.getState().runs).toEqual([]);
  }, 60_000);

  it('importing an exported expert again says "already imported as X" and adds a copy only on a yes; deleting asks', async () => {
    const { store, db, asked, answers } = uiApp(dbName('expert'));
    await store.getState().hydrate();
    const record: ExpertRecord = {
      id: 'x-original',
      name: 'cardio adapter',
      baseModel: 'glove',
      method: 'adapter',
      config: { ...defaultTrainConfig('adapter'), adapter: { kind: 'lowrank', rank: 2 } },
      data: { source: 'demo/test', pairs: 10, negatives: 'in-batch' },
      templates: { query: '{text}', passage: '{text}' },
      createdAt: '2026-01-01T00:00:00.000Z',
      history: [],
    };
    const A = Float32Array.from({ length: 200 }, (_, i) => Math.sin(i));
    const B = Float32Array.from({ length: 200 }, (_, i) => Math.cos(i) / 10);
    const weights = [
      { name: 'adapter.A', shape: [100, 2], data: A },
      { name: 'adapter.B', shape: [2, 100], data: B },
    ];
    await saveExpert(record, weights, await db());
    await store.getState().refreshTraining();
    const exported = await store.getState().exportExpert('x-original');
    const files = exported!.map((f) => new File([f.data], f.name.replace('/', '-')));

    // the same files again: recognised; a no adds nothing and is not an error
    answers.push(false);
    expect(await store.getState().importExpert(files)).toBeUndefined();
    expect(asked).toHaveLength(1);
    expect(asked[0]).toMatch(
      /already imported as "cardio adapter"\. Nothing was added[\s\S]*Import as a copy\?$/,
    );
    expect(store.getState().experts.map((e) => e.name)).toEqual(['cardio adapter']);
    expect(store.getState().errors).toEqual([]);

    // a yes adds a copy under a name that says so
    answers.push(true);
    const copy = await store.getState().importExpert(files);
    expect(copy).toMatchObject({ name: 'cardio adapter (copy)', baseModel: 'glove' });
    expect(copy!.id).not.toBe('x-original');

    // other weights under the same recipe are a different expert: imported without a question
    const changed = new Map(weights.map((w) => [w.name, { shape: w.shape, data: w.data.slice() }]));
    changed.get('adapter.B')!.data[7] += 0.5;
    const other = expertDownload(record, changed).map((f) => new File([f.data], f.name.replace('/', '-')));
    expect(await store.getState().importExpert(other)).toMatchObject({ name: 'cardio adapter' });
    expect(asked).toHaveLength(2);
    expect(store.getState().experts).toHaveLength(3);

    // deleting asks, naming the expert and what is kept
    answers.push(false);
    await store.getState().deleteExpert(copy!.id);
    expect(asked[2]).toMatch(
      /^Delete expert "cardio adapter \(copy\)" with its weights and cached embeddings\? Evaluation runs made with it are kept/,
    );
    expect(store.getState().experts).toHaveLength(3);
    answers.push(true);
    await store.getState().deleteExpert(copy!.id);
    expect(store.getState().experts.map((e) => e.id)).not.toContain(copy!.id);
  }, 60_000);
});

describe('training runs (item 7)', () => {
  it('a training run is deleted only after a yes, to a question saying it can no longer be resumed', async () => {
    const { store, db, asked, answers } = uiApp(dbName('train-run'));
    await store.getState().hydrate();
    await createTrainRun(
      {
        id: 'run-1',
        spec: {
          name: 'cardio',
          baseModel: 'glove',
          data: { kind: 'pairs', fileName: 'pairs.jsonl' },
          mining: null,
          dev: null,
          config: { ...defaultTrainConfig('adapter'), steps: 40 },
        },
        status: 'cancelled',
        createdAt: '2026-01-01T00:00:00.000Z',
        updatedAt: '2026-01-01T00:00:00.000Z',
        step: 15,
        totalSteps: 40,
        pairs: 2,
        history: [],
        expertId: null,
        error: null,
      },
      [{ query: 'chest pain', positive: 'angina pectoris is chest pain' }],
      await db(),
    );
    await store.getState().refreshTraining();
    answers.push(false);
    await store.getState().deleteTrainRun('run-1');
    expect(asked[0]).toBe(
      'Delete training run "cardio" (cancelled, step 15 of 40) with its training data and checkpoint? It can no longer be resumed.',
    );
    expect(store.getState().trainRuns.map((r) => r.id)).toEqual(['run-1']);
    answers.push(true);
    await store.getState().deleteTrainRun('run-1');
    expect(store.getState().trainRuns).toEqual([]);
  });
});

describe('storage that fails or may go away (item 8)', () => {
  it('a full disk on the embedding cache: the evaluation completes without the cache and warns', async () => {
    const { store, db } = uiApp(dbName('quota'));
    await store.getState().hydrate();
    await store.getState().importFiles(collection(), 'tiny');
    store.getState().setRetriever('glove');
    const proto = (
      globalThis as unknown as {
        IDBObjectStore: { prototype: { name: string; put: (...a: unknown[]) => unknown } };
      }
    ).IDBObjectStore.prototype;
    const realPut = proto.put;
    let refused = 0;
    proto.put = function (this: { name: string }, ...a: unknown[]) {
      if (this.name === 'embeddings') {
        refused++;
        throw new DOMException('The quota has been exceeded.', 'QuotaExceededError');
      }
      return realPut.apply(this, a);
    };
    try {
      await store.getState().evaluate();
    } finally {
      proto.put = realPut;
    }
    const s = store.getState();
    expect(refused).toBe(1); // after the first refusal the cache stops writing
    expect(s.errors).toEqual([]);
    expect(s.runs.map((r) => r.retriever)).toEqual(['glove']);
    expect(s.runs[0].report.metrics['ndcg@10']).toBeGreaterThan(0);
    expect(s.warnings).toEqual([
      {
        seq: 1,
        context: 'GloVe 6B 100d on tiny/test',
        message: expect.stringMatching(
          /^Browser storage is full: embeddings of glove on tiny are no longer cached/,
        ),
      },
    ]);
    expect(await (await db()).count('embeddings')).toBe(0);
    store.getState().dismissWarning(1);
    expect(store.getState().warnings).toEqual([]);
  }, 120_000);

  it('asks for persistent storage when it opens and shows the answer', async () => {
    const granted = uiApp(dbName('persist'), {
      storage: { persisted: () => Promise.resolve(false), persist: () => Promise.resolve(true) },
    }).store;
    await granted.getState().hydrate();
    await expect.poll(() => granted.getState().storagePersistent).toBe(true);
    const refused = uiApp(dbName('persist'), {
      storage: { persisted: () => Promise.resolve(false), persist: () => Promise.resolve(false) },
    }).store;
    await refused.getState().hydrate();
    await expect.poll(() => refused.getState().storagePersistent).toBe(false);
  });
});
