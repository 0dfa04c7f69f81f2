/**
 * The Train/Experts part of the UI store: training runs (with the live loss/dev history of the run in
 * flight), experts, and the experts picked for comparison. Work goes to the worker.
 *
 * After a reload, a run whose record still says 'running' (no job can be in flight in a fresh worker)
 * is shown as interrupted at its last checkpoint with a Resume button; it does not restart by itself,
 * so a run that crashes the tab cannot loop on every reload.
 */
import type { StoreApi } from 'zustand/vanilla';
import type { EngineClient, JobProgress } from '../../worker/client';
import type { TrainRequest } from '../../worker/protocol';
import { jobOrAsk, type Confirm } from './ask';
import { plural } from '../../util/words';
import type { Fail, LiveTraining, RunJob, TrainSlice, UiState } from './types';

export type { LiveTraining, TrainSlice } from './types';

type Set = StoreApi<UiState>['setState'];
type Get = StoreApi<UiState>['getState'];

export function createTrainSlice(
  set: Set,
  get: Get,
  env: { client: EngineClient; fail: Fail; job: RunJob; confirm: Confirm },
): TrainSlice {
  const { client, fail, job, confirm } = env;
  const run = async (label: string, live: Omit<LiveTraining, 'jobId'>, body: TrainRequest) => {
    if (get().training) {
      fail(label, new Error('A training run is already in progress; cancel it first.'));
      return undefined;
    }
    let listed = false;
    const onStep = (p: JobProgress) => {
      const step = p.train;
      if (step)
        set((s) =>
          s.training
            ? {
                training: {
                  ...s.training,
                  history: [...s.training.history.filter((h) => h.step < step.step), step],
                },
              }
            : {},
        );
      // the run's record exists once training starts; each checkpoint moves its stored step
      if ((step && !listed) || p.phase === 'checkpoint') {
        listed = true;
        void get().refreshTraining();
      }
    };
    const rec = await job('train', label, (progress) => {
      const h = client.start('train', body, (p) => (onStep(p), progress(p)));
      set({ training: { ...live, jobId: h.id } });
      return h;
    });
    set({ training: null });
    await get().refreshTraining();
    return rec;
  };
  return {
    trainRuns: [],
    experts: [],
    training: null,
    compare: [],

    async refreshTraining() {
      try {
        const [trainRuns, experts] = await Promise.all([
          client.request('list-train-runs', {}),
          client.request('list-experts', {}),
        ]);
        set((s) => {
          const t = s.training;
          // a new run's record appears once its pairs are stored: attach the live view to it
          const runId =
            t && t.runId === null
              ? (trainRuns.find((r) => r.status === 'running' && r.spec.name === t.name)?.id ?? null)
              : (t?.runId ?? null);
          return {
            trainRuns,
            experts,
            compare: s.compare.filter((id) => experts.some((e) => e.id === id)),
            training: t ? { ...t, runId } : null,
          };
        });
      } catch (e) {
        fail('Listing training runs and experts', e);
      }
    },
    startTraining(spec, pairsFile) {
      const body = { spec, backend: get().backendPref, ...(pairsFile ? { pairsFile } : {}) };
      return run(
        `Train ${spec.name}`,
        { runId: null, name: spec.name, history: [], startStep: 0, totalSteps: spec.config.steps },
        body,
      );
    },
    resumeTraining(runId) {
      const r = get().trainRuns.find((x) => x.id === runId);
      const name = r?.spec.name ?? runId;
      return run(
        `Resume ${name}`,
        {
          runId,
          name,
          history: r?.history ?? [],
          startStep: r?.step ?? 0,
          totalSteps: r?.totalSteps ?? 0,
        },
        { resume: runId, backend: get().backendPref },
      );
    },
    async deleteTrainRun(runId) {
      const r = get().trainRuns.find((x) => x.id === runId);
      const what = r
        ? `training run "${r.spec.name}" (${r.status}, step ${r.step} of ${r.totalSteps})`
        : `training run ${runId}`;
      const kept = r?.status === 'done' ? ' The expert it made is kept.' : ' It can no longer be resumed.';
      if (!(await confirm(`Delete ${what} with its training data and checkpoint?${kept}`))) return;
      try {
        await client.request('delete-train-run', { runId });
      } catch (e) {
        fail('Delete training run', e);
      }
      await get().refreshTraining();
    },
    async renameExpert(id, name) {
      try {
        await client.request('rename-expert', { expert: id, name });
      } catch (e) {
        fail('Rename expert', e);
      }
      await get().refreshTraining();
    },
    async deleteExpert(id) {
      const e = get().experts.find((x) => x.id === id);
      const name = e ? `"${e.name}"` : id;
      const ok = await confirm(
        `Delete expert ${name} with its weights and cached embeddings? Evaluation runs made with it are kept. Export it first to keep a copy; this cannot be undone.`,
      );
      if (!ok) return;
      try {
        await client.request('delete-expert', { expert: id });
      } catch (e) {
        fail('Delete expert', e);
      }
      if (get().retriever === `expert:${id}`) get().setRetriever('bm25');
      await get().refreshTraining();
    },
    async exportExpert(id) {
      try {
        return await client.request('export-expert', { expert: id });
      } catch (e) {
        fail('Export expert', e);
        return undefined;
      }
    },
    async handoffProject(id, base) {
      try {
        return await client.request('handoff-project', { expert: id, ...(base ? { base } : {}) });
      } catch (e) {
        fail('Python project', e);
        return undefined;
      }
    },
    async importExpert(files, name) {
      // files of an expert already stored are refused; a yes imports them as a copy
      const rec = await jobOrAsk(
        job,
        confirm,
        'expert',
        `Import expert (${plural(files.length, 'file')})`,
        (p) => client.start('import-expert', { files, ...(name ? { name } : {}) }, p),
        'ExpertExistsError',
        (e) => `${e.message}\n\nImport as a copy?`,
        (p) => client.start('import-expert', { files, ...(name ? { name } : {}), copy: true }, p),
      );
      await get().refreshTraining();
      return rec;
    },
    toggleCompare: (id) =>
      set((s) => ({
        compare: s.compare.includes(id) ? s.compare.filter((x) => x !== id) : [...s.compare, id],
      })),
  };
}
