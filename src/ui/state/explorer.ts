/** The Explorer part of the UI store: asks the worker for a model's 2-D view of the chosen split, keeps
 * the views, and turns each new one to match the view on screen (src/explore/align.ts). */
import type { StoreApi } from 'zustand/vanilla';
import { alignTo } from '../../explore/align';
import type { EngineClient } from '../../worker/client';
import type { ExplorerSlice } from './explorer-types';
import type { Fail, RunJob, UiState } from './types';

export type { ExplorerShown, ExplorerSlice } from './explorer-types';

type Set = StoreApi<UiState>['setState'];
type Get = StoreApi<UiState>['getState'];

export function createExplorerSlice(
  set: Set,
  get: Get,
  env: { client: EngineClient; fail: Fail; job: RunJob },
): ExplorerSlice {
  const { client, fail, job } = env;
  return {
    explorerViews: {},
    explorerShown: null,
    explorerQid: null,

    async showExplorer(model) {
      const { dataset, split } = get();
      if (!dataset || !split) return fail('Explorer', new Error('Choose a dataset and a split first.'));
      const key = `${dataset}|${split}|${model}`;
      const meta = get().datasets.find((d) => d.name === dataset);
      const stamp = `${meta?.importedAt}|${JSON.stringify(meta?.splits[split])}`;
      const stored = get().explorerViews[key];
      let view = stored?.stamp === stamp ? stored.view : undefined;
      if (!view) {
        const got = await job('explorer', `Explorer: ${model} on ${dataset}/${split}`, (p) =>
          client.start('explore', { dataset, split, model, backend: get().backendPref }, p),
        );
        if (!got) return;
        view = got;
        set((s) => ({ explorerViews: { ...s.explorerViews, [key]: { view: got, stamp } } }));
      }
      const prev = get().explorerShown;
      const same = prev && prev.view.dataset === dataset && prev.view.split === split;
      const coords = alignTo(same ? { ids: prev.view.ids, coords: prev.coords } : null, view);
      const qid = get().explorerQid;
      const queries = view.ids.filter((_, i) => view.kinds[i] === 'query');
      set({
        explorerShown: { key, view, coords },
        explorerQid: qid && queries.includes(qid) ? qid : (queries[0] ?? null),
      });
    },
    selectExplorerQuery(qid) {
      set({ explorerQid: qid });
    },
  };
}
