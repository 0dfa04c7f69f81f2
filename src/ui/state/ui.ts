/**
 * UI state (zustand): what is stored (datasets, runs), what is selected, the jobs in flight with
 * their progress, and errors. Work goes to the engine worker through the client; lists are read
 * back from IndexedDB so a reload shows everything.
 */
import { createStore, type StoreApi } from 'zustand/vanilla';
import type { EngineClient } from '../../worker/client';
import { studioDb, type DatasetMeta, type StudioDB } from '../../store/db';
import { listDatasets } from '../../store/datasets';
import { requestPersistentStorage, type PersistApi } from '../../store/persist';
import { getRun, listRuns } from '../../store/runs';
import { loadSettings, saveSettings, type Settings } from '../../store/settings';
import { jobOrAsk, type Confirm } from './ask';
import { plural } from '../../util/words';
import { retrieverName } from './names';
import { createExplorerSlice } from './explorer';
import { parseHybridLabel } from '../../eval/hybrid-label';
import { makeFail, makeJobRunner } from './jobs';
import { createBundleSlice } from './bundle';
import { createGuidedSlice } from './guided';
import { createMergeSlice } from './merge';
import { createModelsSlice } from './models';
import { createPromptsSlice } from './prompts';
import { createSynthSlice } from './synth';
import { createTrainSlice } from './train';
import type { UiState } from './types';

export type { JobKind, JobState, Tab, UiError, UiState, UiWarning } from './types';

/** The split a dataset opens on: "test" when it has one, else its first. */
export function defaultSplit(meta: DatasetMeta | undefined): string | null {
  if (!meta) return null;
  const splits = Object.keys(meta.splits).sort();
  return splits.includes('test') ? 'test' : (splits[0] ?? null);
}

export interface UiStoreOptions {
  /** the connection to read lists and settings from (default: the app's shared one) */
  db?: () => Promise<StudioDB>;
  /** the app's base URL, where model assets live under models/ (default: document.baseURI) */
  baseUrl?: string;
  /** asks before anything is deleted or replaced (default: window.confirm) */
  confirm?: Confirm;
  /** the StorageManager asked for persistent storage (default: navigator.storage) */
  storage?: PersistApi;
}

export function createUiStore(client: EngineClient, opts: UiStoreOptions = {}): StoreApi<UiState> {
  const db = opts.db ?? studioDb;
  const confirm: Confirm = opts.confirm ?? ((m) => window.confirm(m));
  return createStore<UiState>()((set, get) => {
    const fail = makeFail(set);
    const persist = (patch: Partial<Settings>) => {
      void db()
        .then((d) => saveSettings(patch, d))
        .catch((e: unknown) => fail('Saving settings', e));
    };
    // every action ends by reading the lists again; a failure there (another tab upgraded the storage in
    // the meantime) is shown like the action's own, never left as an unhandled rejection
    const refresh = async () => {
      try {
        const d = await db();
        const [datasets, runs] = await Promise.all([listDatasets(d), listRuns(undefined, d)]);
        set({ datasets, runs });
      } catch (e) {
        fail('Reading the stored datasets and runs', e);
      }
    };
    const job = makeJobRunner(set, fail);
    const afterImport = async (meta: DatasetMeta | undefined) => {
      if (!meta) return;
      if (get().queryTexts?.dataset === meta.name) set({ queryTexts: null });
      await refresh();
      get().selectDataset(meta.name);
    };

    return {
      ready: false,
      tab: 'data',
      datasets: [],
      runs: [],
      ...createModelsSlice(set, get, { client, fail, job, persist }),
      ...createTrainSlice(set, get, { client, fail, job, confirm }),
      ...createSynthSlice(set, get, { client, fail, job, confirm, persist }),
      ...createMergeSlice(set, get, { client, fail, job }),
      ...createPromptsSlice(set, get, { client, fail, job }),
      ...createBundleSlice(set, get, { client, fail, job, confirm, refresh }),
      ...createExplorerSlice(set, get, { client, fail, job }),
      ...createGuidedSlice(set, get, { client, fail, job, refresh }),
      storagePersistent: null,
      warnings: [],
      backend: null,
      backendNotice: null,
      backendPref: 'auto',
      dataset: null,
      split: null,
      retriever: 'bm25',
      bm25: { k1: 1.5, b: 0.75 },
      jobs: {},
      errors: [],
      selectedRunId: null,
      selectedQid: null,
      details: null,
      queryTexts: null,

      async hydrate() {
        client.onBackend((info, notice) => set({ backend: info, backendNotice: notice ?? null }));
        let warned = 0;
        client.onWarning((id, message) =>
          set((s) => ({
            warnings: [...s.warnings, { seq: ++warned, context: s.jobs[id]?.label ?? 'A job', message }],
          })),
        );
        // not awaited: a browser may take its time to answer, the studio opens meanwhile
        void requestPersistentStorage(opts.storage).then((p) => set({ storagePersistent: p }));
        try {
          const settings = await loadSettings(await db());
          set({
            backendPref: settings.backendPref,
            retriever: settings.retriever,
            ...(settings.llmEndpoint
              ? { llmEndpoint: { ...get().llmEndpoint, ...settings.llmEndpoint } }
              : {}),
          });
          await client.request('init', {
            baseUrl: opts.baseUrl ?? document.baseURI,
            backend: settings.backendPref,
          });
          const models = await client.request('list-models', {});
          await refresh();
          await get().refreshTraining();
          await get().refreshSynth();
          await get().refreshPromptSearches();
          const { datasets, experts } = get();
          const ds = datasets.find((m) => m.name === settings.dataset) ?? datasets[datasets.length - 1];
          const split =
            ds && settings.split && settings.split in ds.splits ? settings.split : defaultSplit(ds);
          const dense = (id: string) =>
            models.some((m) => m.id === id) || experts.some((e) => `expert:${e.id}` === id);
          const known = (id: string) =>
            id === 'bm25' || dense(id) || dense(parseHybridLabel(id)?.dense ?? '');
          const retriever = known(settings.retriever) ? settings.retriever : 'bm25';
          const activeModel = models.find((m) => m.id === settings.activeModel)?.id ?? models[0]?.id ?? null;
          set({
            models,
            activeModel,
            dataset: ds?.name ?? null,
            split,
            retriever,
            tab: datasets.length ? 'evaluate' : 'data',
          });
        } catch (e) {
          fail('Loading saved state', e);
        } finally {
          set({ ready: true });
        }
      },
      setTab: (tab) => set({ tab }),
      async loadDemo() {
        await afterImport(await job('demo', 'Load demo collection', (p) => client.start('load-demo', {}, p)));
      },
      async importFiles(files, name) {
        const label = `Import ${plural(files.length, 'file')}`;
        // the worker refuses to replace a dataset with other contents until the user confirms
        const meta = await jobOrAsk(
          job,
          confirm,
          'import',
          label,
          (p) => client.start('import-dataset', { files, name }, p),
          'DatasetExistsError',
          (e) => `${e.message}\n\nReplace it?`,
          (p) => client.start('import-dataset', { files, name, replace: true }, p),
        );
        await afterImport(meta);
      },
      async deleteDataset(name) {
        try {
          await client.request('delete-dataset', { name });
        } catch (e) {
          fail(`Delete ${name}`, e);
        }
        const s = get();
        const run = s.runs.find((r) => r.id === s.selectedRunId);
        if (run?.dataset === name) set({ selectedRunId: null, selectedQid: null, details: null });
        if (s.queryTexts?.dataset === name) set({ queryTexts: null });
        await refresh();
        if (s.dataset === name) get().selectDataset(get().datasets[0]?.name ?? null);
      },
      async setDatasetGroup(name, group) {
        try {
          await client.request('set-dataset-group', { name, group });
        } catch (e) {
          fail(`Group of ${name}`, e);
        }
        await refresh();
      },
      async splitDataset(req) {
        const label = `Split ${req.dataset}/${req.from} into ${req.into.map((p) => p.name).join(', ')}`;
        const r = await job('split', label, (p) => client.start('split-dataset', req, p));
        if (r) await refresh();
        return r;
      },
      selectDataset(name) {
        const split = defaultSplit(get().datasets.find((m) => m.name === name));
        set({ dataset: name, split });
        persist({ dataset: name, split });
      },
      setSplit(split) {
        set({ split });
        persist({ split });
      },
      setRetriever(retriever) {
        const model = retriever !== 'bm25' && get().models.some((m) => m.id === retriever);
        set(model ? { retriever, activeModel: retriever, similarity: null } : { retriever });
        persist(model ? { retriever, activeModel: retriever } : { retriever });
      },
      async setBackendPref(pref) {
        set({ backendPref: pref, backendNotice: null });
        persist({ backendPref: pref });
        await job('backend', `Start ${pref} backend`, (p) =>
          client.start('set-backend', { backend: pref }, p),
        );
      },
      setBm25(bm25) {
        set({ bm25 });
      },
      async evaluate() {
        const { dataset, split, retriever, backendPref, bm25 } = get();
        if (!dataset || !split) return fail('Evaluate', new Error('Choose a dataset and a split first.'));
        const hybrid = parseHybridLabel(retriever);
        const choice = retriever === 'bm25' ? ('bm25' as const) : hybrid ? { hybrid } : { model: retriever };
        const label = `${retrieverName(retriever, get())} on ${dataset}/${split}`;
        const rec = await job('evaluate', label, (p) =>
          client.start('evaluate', { dataset, split, retriever: choice, backend: backendPref, bm25 }, p),
        );
        if (!rec) return;
        await refresh();
        await get().selectRun(rec.id);
      },
      cancelJob(id) {
        // shown as "Cancelling…" until the worker ends the job (it stops at its next check)
        const job = get().jobs[id];
        if (job?.cancelling) return;
        if (job) set((s) => ({ jobs: { ...s.jobs, [id]: { ...job, cancelling: true } } }));
        client.cancel(id);
      },
      async selectRun(id) {
        set({ selectedRunId: id, selectedQid: null, details: null });
        const dataset = get().runs.find((r) => r.id === id)?.dataset;
        if (!dataset || get().queryTexts?.dataset === dataset) return;
        try {
          const texts = await client.request('query-texts', { dataset });
          set({ queryTexts: { dataset, texts } });
        } catch (e) {
          fail(`Queries of ${dataset}`, e);
        }
      },
      async selectQuery(qid) {
        const runId = get().selectedRunId;
        set({ selectedQid: qid, details: null });
        if (!qid || !runId) return;
        try {
          const details = await client.request('query-details', { runId, qid });
          if (get().selectedQid === qid && get().selectedRunId === runId) set({ details });
        } catch (e) {
          fail(`Query ${qid}`, e);
        }
      },
      async deleteRun(id) {
        const r = get().runs.find((x) => x.id === id);
        const expert = get().experts.find((e) => `expert:${e.id}` === r?.retriever);
        const who = r?.retriever === 'bm25' ? 'BM25' : expert ? `${expert.name} (expert)` : r?.retriever;
        const when = r?.createdAt.slice(0, 16).replace('T', ' ');
        const what = r ? `the ${who} run on ${r.dataset}/${r.split} (${when} UTC)` : `run ${id}`;
        if (
          !(await confirm(
            `Delete ${what}? Its scores and per-query results are deleted; this cannot be undone.`,
          ))
        )
          return;
        try {
          await client.request('delete-run', { runId: id });
        } catch (e) {
          fail('Delete run', e);
        }
        if (get().selectedRunId === id) set({ selectedRunId: null, selectedQid: null, details: null });
        await refresh();
      },
      async fetchQueryDetails(runId, qid) {
        try {
          return await client.request('query-details', { runId, qid });
        } catch (e) {
          fail(`Query ${qid}`, e);
          return null;
        }
      },
      async fetchRunHits(runId) {
        try {
          const run = await getRun(runId, await db());
          return { hits: run.hits, kept: run.kept };
        } catch (e) {
          fail(`Run ${runId}`, e);
          return null;
        }
      },
      dismissError: (seq) => set((s) => ({ errors: s.errors.filter((e) => e.seq !== seq) })),
      dismissWarning: (seq) => set((s) => ({ warnings: s.warnings.filter((w) => w.seq !== seq) })),
    };
  });
}
