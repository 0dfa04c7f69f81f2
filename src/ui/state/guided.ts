/**
 * The guided demo (issue 12 item 6), one click, offline: load the embedded demo collection, hold out half of
 * its queries, evaluate BM25 and the base model (USE-lite) on them, train a small adapter expert on the other
 * half (40 steps, the other queries' passages as negatives), evaluate it, and end on the three nDCG@10. Each step is
 * an ordinary job (shown in Jobs, its runs in the Evaluate tab); Cancel stops the one in flight and the rest.
 */
import type { StoreApi } from 'zustand/vanilla';
import type { EngineClient } from '../../worker/client';
import type { RunRecord } from '../../store/db';
import type { TrainSpec } from '../../store/training-types';
import { defaultTrainConfig } from '../../train/defaults';
import type { Fail, GuidedDemo, GuidedSlice, GuidedStep, GuidedStepId, RunJob, UiState } from './types';

type Set = StoreApi<UiState>['setState'];
type Get = StoreApi<UiState>['getState'];

/** What the demo does: small enough to finish in well under a minute on a laptop's CPU. */
export const GUIDED = {
  dataset: 'demo',
  from: 'test',
  train: 'guided-train',
  test: 'guided-test',
  base: 'use-lite',
  expertName: 'Guided demo expert',
  steps: 40,
  batchSize: 8,
  lr: 0.001,
  warmupSteps: 4,
  seed: 42,
} as const;

const STEPS: readonly (readonly [GuidedStepId, string])[] = [
  ['load', 'Load the demo collection (240 passages, 48 queries)'],
  ['split', 'Hold out half of the queries for testing'],
  ['bm25', 'Evaluate BM25 (word matching) on the held-out queries'],
  ['base', 'Evaluate the base model (USE-lite) on them'],
  ['train', `Train a small expert: ${GUIDED.steps} steps on the other half`],
  ['expert', 'Evaluate the expert on the held-out queries'],
];

/** The demo expert's recipe: an embedding-space adapter over USE-lite on the demo's training half. */
export function guidedSpec(): TrainSpec {
  return {
    name: GUIDED.expertName,
    baseModel: GUIDED.base,
    data: { kind: 'dataset', dataset: GUIDED.dataset, split: GUIDED.train },
    // in-batch negatives only: mining would embed the whole corpus once more (the demo stays about a minute)
    mining: null,
    config: {
      ...defaultTrainConfig('adapter'),
      steps: GUIDED.steps,
      batchSize: GUIDED.batchSize,
      lr: GUIDED.lr,
      warmupSteps: GUIDED.warmupSteps,
      hardNegatives: 0,
      seed: GUIDED.seed,
      checkpointEvery: GUIDED.steps,
      devEvery: 0,
    },
    dev: null,
  };
}

class Stop extends Error {}

export function createGuidedSlice(
  set: Set,
  get: Get,
  env: { client: EngineClient; fail: Fail; job: RunJob; refresh: () => Promise<void> },
): GuidedSlice {
  const { client, job, refresh } = env;
  let current: number | null = null;
  let cancelled = false;
  const patch = (f: (g: GuidedDemo) => Partial<GuidedDemo>) =>
    set((s) => (s.guided ? { guided: { ...s.guided, ...f(s.guided) } } : {}));
  const step = (id: GuidedStepId, status: GuidedStep['status'], detail?: string) =>
    patch((g) => ({
      steps: g.steps.map((x) => (x.id === id ? { ...x, status, ...(detail ? { detail } : {}) } : x)),
    }));
  /** runs one step; a job that ends without a result (failed or cancelled) stops the demo */
  const run = async <T>(id: GuidedStepId, work: () => Promise<T | undefined>): Promise<T> => {
    if (cancelled) throw new Stop();
    step(id, 'running');
    const r = await work();
    current = null;
    if (r === undefined || cancelled) {
      step(id, cancelled ? 'cancelled' : 'failed');
      throw new Stop();
    }
    return r;
  };
  const evaluate = (id: GuidedStepId, label: string, retriever: 'bm25' | { model: string }) =>
    run(id, () =>
      job('evaluate', `Guided demo: ${label}`, (p) => {
        const h = client.start(
          'evaluate',
          {
            dataset: GUIDED.dataset,
            split: GUIDED.test,
            retriever,
            backend: get().backendPref,
            bm25: get().bm25,
          },
          p,
        );
        current = h.id;
        return h;
      }),
    ).then(async (rec: RunRecord) => {
      const v = rec.report.metrics['ndcg@10'];
      step(id, 'done', `nDCG@10 ${v.toFixed(3)}`);
      await refresh();
      return v;
    });

  return {
    guided: null,
    async startGuidedDemo() {
      if (get().guided?.status === 'running') return;
      cancelled = false;
      set({
        guided: {
          status: 'running',
          steps: STEPS.map(([id, label]) => ({ id, label, status: 'pending' })),
          scores: {},
        },
      });
      try {
        const meta = () => get().datasets.find((d) => d.name === GUIDED.dataset);
        if (meta()) step('load', 'done', 'already loaded');
        else
          await run('load', async () => {
            await get().loadDemo();
            return meta();
          }).then(() => step('load', 'done'));
        const splits = meta()?.splits ?? {};
        if (GUIDED.train in splits && GUIDED.test in splits) step('split', 'done', 'already held out');
        else {
          const r = await run('split', () =>
            get().splitDataset({
              dataset: GUIDED.dataset,
              from: GUIDED.from,
              into: [
                { name: GUIDED.train, fraction: 0.5 },
                { name: GUIDED.test, fraction: 0.5 },
              ],
              seed: GUIDED.seed,
            }),
          );
          step('split', 'done', `${r.sizes[GUIDED.train]} to train on, ${r.sizes[GUIDED.test]} to test`);
        }
        const bm25 = await evaluate('bm25', 'BM25', 'bm25');
        patch((g) => ({ scores: { ...g.scores, bm25 } }));
        const base = await evaluate('base', 'base model', { model: GUIDED.base });
        patch((g) => ({ scores: { ...g.scores, base } }));
        const rec = await run('train', async () => {
          const p = get().startTraining(guidedSpec());
          current = get().training?.jobId ?? null;
          const r = await p;
          return r?.status === 'done' && r.expertId ? r : undefined;
        });
        const expertId = rec.expertId as string;
        step('train', 'done', `loss ${rec.history.at(-1)?.loss.toFixed(3) ?? '?'} after ${rec.step} steps`);
        patch(() => ({ expertId }));
        const expert = await evaluate('expert', 'the expert', { model: `expert:${expertId}` });
        patch((g) => ({ scores: { ...g.scores, expert }, status: 'done' }));
        // the Evaluate tab opens on the held-out split, the expert selected
        get().selectDataset(GUIDED.dataset);
        get().setSplit(GUIDED.test);
        get().setRetriever(`expert:${expertId}`);
      } catch (e) {
        if (!(e instanceof Stop)) env.fail('Guided demo', e);
        patch(() => ({ status: cancelled ? 'cancelled' : 'failed' }));
      }
    },
    cancelGuidedDemo() {
      if (get().guided?.status !== 'running') return;
      cancelled = true;
      const id = current ?? get().training?.jobId ?? null;
      if (id !== null) get().cancelJob(id);
    },
    closeGuidedDemo() {
      if (get().guided?.status !== 'running') set({ guided: null });
    },
  };
}
