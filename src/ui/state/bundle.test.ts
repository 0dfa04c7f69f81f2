/** The Project card's store: export, import with its summary, the question before replacing datasets, refusals. */
import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import { uiApp } from '../../testing/ui-app';

let n = 0;
const dbName = (what: string) => `ui-bundle-${what}-${++n}-${Date.now()}`;

/** A studio with the demo and a BM25 run on it, exported; its bundle as a File. */
async function exported(): Promise<File> {
  const { store } = uiApp(dbName('src'));
  await store.getState().hydrate();
  await store.getState().loadDemo();
  await store.getState().evaluate();
  const out = await store.getState().exportProject();
  expect(store.getState().bundleOutcome).toMatchObject({ kind: 'exported', fileName: out?.fileName });
  return new File([out!.blob], out!.fileName);
}

describe('project bundles in the UI store', () => {
  it('imports into an empty studio and lists what came; asks before replacing a dataset with other contents', async () => {
    const file = await exported();
    const fresh = uiApp(dbName('dst'));
    await fresh.store.getState().hydrate();
    await fresh.store.getState().importProject(file);
    const s = fresh.store.getState();
    expect(s.bundleOutcome).toMatchObject({ kind: 'imported', summary: { datasets: ['demo'] } });
    expect(s.datasets.map((d) => d.name)).toEqual(['demo']);
    expect(s.runs).toHaveLength(1);
    expect(s.dataset).toBe('demo');
    expect(fresh.asked).toEqual([]);

    // a studio whose "demo" holds other contents: the user is asked, "no" leaves it as it was
    const other = uiApp(dbName('other'), { answers: [false, true] });
    await other.store.getState().hydrate();
    const corpus = new File(['{"_id": "d1", "text": "other text"}\n'], 'corpus.jsonl');
    const queries = new File(['{"_id": "q1", "text": "other"}\n'], 'queries.jsonl');
    const qrels = new File(['query-id\tcorpus-id\tscore\nq1\td1\t1\n'], 'test.tsv');
    await other.store.getState().importFiles([corpus, queries, qrels], 'demo');
    await other.store.getState().importProject(file);
    expect(other.asked).toHaveLength(1);
    expect(other.asked[0]).toMatch(
      /^The bundle has a dataset "demo" that this studio already stores with other contents/,
    );
    expect(other.store.getState().bundleOutcome).toMatchObject({ kind: 'refused' });
    expect(other.store.getState().datasets[0].counts.docs).toBe(1);
    await other.store.getState().importProject(file); // asked again: yes
    expect(other.store.getState().bundleOutcome).toMatchObject({
      kind: 'imported',
      summary: { replacedDatasets: ['demo'] },
    });
    expect(other.store.getState().datasets[0].counts.docs).toBeGreaterThan(1);
    expect(other.store.getState().errors).toEqual([]);
  });

  it('shows a damaged bundle as refused, naming the part, and imports nothing', async () => {
    const { store } = uiApp(dbName('damaged'));
    await store.getState().hydrate();
    await store.getState().importProject(new File([new Uint8Array(100)], 'zeros.stmbundle'));
    expect(store.getState().bundleOutcome).toEqual({
      kind: 'refused',
      file: 'zeros.stmbundle',
      message:
        'bundle part header: this is not an STM Studio project bundle (no "STMBUNDL" header). Nothing was imported.',
    });
    expect(store.getState().datasets).toEqual([]);
    expect(store.getState().errors).toEqual([]);
  });
});
