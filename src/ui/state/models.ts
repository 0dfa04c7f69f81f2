/**
 * The Models part of the UI store: the model list (built-in and imported), the active model (which the
 * Evaluate form uses), its details and templates, imports with per-file download progress, and the
 * similarity box. All work goes to the worker.
 */
import { plural } from '../../util/words';
import type { StoreApi } from 'zustand/vanilla';
import type { EngineClient, JobProgress } from '../../worker/client';
import type { ModelEntry } from '../../worker/protocol';
import type { Settings } from '../../store/settings';
import type { Fail, ModelsSlice, RunJob, UiState } from './types';

export type { FileDownload, ModelsSlice, SimilaritySide } from './types';

export interface SliceEnv {
  client: EngineClient;
  fail: Fail;
  job: RunJob;
  persist(patch: Partial<Settings>): void;
}

type Set = StoreApi<UiState>['setState'];
type Get = StoreApi<UiState>['getState'];

export function createModelsSlice(set: Set, get: Get, env: SliceEnv): ModelsSlice {
  const { client, fail, job, persist } = env;
  // per-file bars stay until the next import: they show what was fetched, or where a failure stopped
  const afterImport = async (entry: ModelEntry | undefined) => {
    if (!entry) return false;
    await get().refreshModels();
    await get().selectModel(entry.id);
    return true;
  };
  return {
    models: [],
    activeModel: null,
    modelTemplates: {},
    detailsLoading: null,
    similarity: null,
    revalidated: {},
    downloads: {},
    weightFormats: {},

    async refreshModels() {
      try {
        set({ models: await client.request('list-models', {}) });
      } catch (e) {
        fail('Listing models', e);
      }
    },
    async selectModel(id) {
      set({
        activeModel: id,
        retriever: id,
        similarity: get().similarity?.model === id ? get().similarity : null,
      });
      persist({ activeModel: id, retriever: id });
      if (!get().modelTemplates[id]) await get().loadModelDetails(id);
    },
    async loadModelDetails(id) {
      set({ detailsLoading: id });
      try {
        const { entry, templates } = await client.request('model-details', { model: id });
        set((s) => ({
          models: s.models.map((m) => (m.id === id ? entry : m)),
          modelTemplates: { ...s.modelTemplates, [id]: templates },
        }));
      } catch (e) {
        fail(`Loading ${id}`, e);
      } finally {
        if (get().detailsLoading === id) set({ detailsLoading: null });
      }
    },
    async importModelFolder(files, opts = {}) {
      set({ downloads: {} });
      const root = files[0]?.path.split('/')[0] ?? 'folder';
      const entry = await job('model', `Import model ${opts.name ?? root}`, (p) =>
        client.start('import-model', { files, ...opts }, p),
      );
      return afterImport(entry);
    },
    async importModelHub(source, name) {
      set({ downloads: {} });
      const track = (p: JobProgress) => {
        if (p.phase === 'download' && p.detail) {
          const file = p.detail;
          set((s) => ({ downloads: { ...s.downloads, [file]: { loaded: p.done, total: p.total } } }));
        }
      };
      const entry = await job('model', `Download ${source}`, (p) =>
        client.start('import-model', { hub: source, ...(name ? { name } : {}) }, (x) => (track(x), p(x))),
      );
      return afterImport(entry);
    },
    async revalidateModel(id) {
      const results = await job('model', `Check ${id} for updates`, (p) =>
        client.start('revalidate-model', { model: id }, p),
      );
      if (!results) return;
      const updated = results.filter((r) => r.outcome === 'updated').length;
      const checked = results.filter((r) => r.outcome !== 'not-downloaded').length;
      const text = updated
        ? `${plural(updated, 'file')} of ${checked} updated from the hub; the model reloads on next use`
        : `up to date (${plural(checked, 'file')} checked)`;
      set((s) => ({ revalidated: { ...s.revalidated, [id]: text } }));
      await get().refreshModels();
    },
    async deleteModel(id) {
      try {
        await client.request('delete-model', { model: id });
      } catch (e) {
        fail(`Delete ${id}`, e);
      }
      set((s) => {
        const modelTemplates = { ...s.modelTemplates };
        delete modelTemplates[id];
        return { modelTemplates, similarity: s.similarity?.model === id ? null : s.similarity };
      });
      await get().refreshModels();
      const s = get();
      if (s.activeModel === id || s.retriever === id) await s.selectModel(s.models[0]?.id ?? 'bm25');
    },
    async saveTemplates(id, t) {
      try {
        const res = await client.request('set-templates', { model: id, templates: t });
        set((s) => ({
          modelTemplates: { ...s.modelTemplates, [id]: res },
          similarity: s.similarity?.model === id ? null : s.similarity,
        }));
        await get().refreshModels();
        return true;
      } catch (e) {
        fail(`Templates of ${id}`, e);
        return false;
      }
    },
    async computeSimilarity(a, b) {
      const model = get().activeModel;
      if (!model) return fail('Similarity', new Error('Choose a model first.'));
      set({ similarity: null });
      const r = await job('similarity', `Similarity with ${model}`, (p) =>
        client.start('similarity', { model, a, b, backend: get().backendPref }, p),
      );
      if (r) set({ similarity: r });
    },
    async setWeightFormat(format, check) {
      const model = get().activeModel;
      if (!model) return fail('Weight format', new Error('Choose a model first.'));
      const what = check ? `Cosine to f32 of ${format} weights (${model})` : `Weights of ${model}: ${format}`;
      const r = await job('weights', what, (p) =>
        client.start('weight-format', { model, format, check, backend: get().backendPref }, p),
      );
      if (r) {
        // a format change drops the last check unless this one measured it
        const prev = get().weightFormats[model];
        const keep = !r.check && prev?.format === r.format ? prev.check : r.check;
        set({ weightFormats: { ...get().weightFormats, [model]: { ...r, check: keep } } });
      }
    },
  };
}
