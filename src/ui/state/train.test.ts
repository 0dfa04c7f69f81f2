import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import { defaultTrainConfig } from '../../train/defaults';
import { setRunStatus } from '../../store/training';
import type { TrainSpec } from '../../store/training-types';
import { uiApp } from '../../testing/ui-app';

const app = uiApp;

const spec = (name: string): TrainSpec => ({
  name,
  baseModel: 'glove',
  data: { kind: 'dataset', dataset: 'demo', split: 'test' },
  mining: null,
  dev: null,
  config: {
    ...defaultTrainConfig('adapter'),
    steps: 40,
    batchSize: 8,
    warmupSteps: 2,
    checkpointEvery: 5,
    devEvery: 0,
    hardNegatives: 0,
    lr: 5e-3,
    adapter: { kind: 'lowrank', rank: 4 },
  },
});

describe('UI store: training and experts', () => {
  it('shows live steps, lists an interrupted run after a reload, resumes it from its checkpoint, and evaluates the expert', async () => {
    const name = `ui-train-${Date.now()}`;
    const { store, db } = app(name);
    await store.getState().hydrate();
    await store.getState().setBackendPref('cpu');
    await store.getState().loadDemo();
    const liveSteps: number[] = [];
    const unsub = store.subscribe((s) => {
      const last = s.training?.history.at(-1);
      if (last && liveSteps.at(-1) !== last.step) liveSteps.push(last.step);
      if (last && last.step >= 7 && s.training) s.cancelJob(s.training.jobId);
    });
    expect(await store.getState().startTraining(spec('first'))).toBeUndefined(); // cancelled
    unsub();
    expect(liveSteps.slice(0, 7)).toEqual([1, 2, 3, 4, 5, 6, 7]);
    const s1 = store.getState();
    expect(s1.training).toBeNull();
    expect(s1.errors).toEqual([]); // a cancel is not an error
    const [run] = s1.trainRuns;
    expect(run).toMatchObject({ status: 'cancelled', spec: { name: 'first' } });
    const k = run.step;
    expect(k >= 5 && k % 5 === 0 && k < 40).toBe(true);

    // as if the page had closed mid-run: the record still says running
    await setRunStatus(run.id, 'running', null, await db());
    const again = app(name).store;
    await again.getState().hydrate();
    expect(again.getState().trainRuns[0]).toMatchObject({ id: run.id, status: 'running', step: k });
    const seen: number[] = [];
    const unsub2 = again.subscribe((s) => {
      const t = s.training;
      if (t) seen.push(t.startStep, t.history.length, t.history.at(-1)?.step ?? -1);
    });
    const done = await again.getState().resumeTraining(run.id);
    unsub2();
    expect(done).toMatchObject({ status: 'done', step: 40 });
    expect(seen.slice(0, 2)).toEqual([k, k]); // starts with the checkpoint's history, not from 0
    expect(Math.min(...seen.filter((_, i) => i % 3 === 2))).toBeGreaterThanOrEqual(k);
    const s2 = again.getState();
    expect(s2.experts).toHaveLength(1);
    const expert = s2.experts[0];
    expect(expert).toMatchObject({ name: 'first', baseModel: 'glove', data: { source: 'demo/test' } });
    expect(expert.history.map((h) => h.step)).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));

    again.getState().setRetriever(`expert:${expert.id}`);
    await again.getState().evaluate();
    expect(again.getState().runs.map((r) => r.retriever)).toEqual([`expert:${expert.id}`]);
    // the expert stays the chosen retriever over a reload; deleting it falls back to BM25
    const third = app(name).store;
    await third.getState().hydrate();
    expect(third.getState().retriever).toBe(`expert:${expert.id}`);
    await third.getState().renameExpert(expert.id, 'renamed');
    expect(third.getState().experts[0].name).toBe('renamed');
    third.getState().toggleCompare(expert.id);
    expect(third.getState().compare).toEqual([expert.id]);
    await third.getState().deleteExpert(expert.id);
    expect(third.getState()).toMatchObject({ experts: [], compare: [], retriever: 'bm25' });
  }, 120_000);
});
