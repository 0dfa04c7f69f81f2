/**
 * The project-bundle part of the UI store: "Export project" packs everything stored into one file (a
 * download); "Import project" sends a file to the worker, which verifies every part before writing
 * anything. A damaged bundle is refused (the outcome names the part); stored datasets with other contents
 * are replaced only after the user confirmed. After an import every list is read again.
 */
import type { StoreApi } from 'zustand/vanilla';
import type { BundleImportSummary } from '../../store/bundle-apply';
import type { EngineClient } from '../../worker/client';
import type { Confirm } from './ask';
import type { BundleSlice } from './bundle-types';
import type { Fail, RunJob, UiState } from './types';

type Set = StoreApi<UiState>['setState'];
type Get = StoreApi<UiState>['getState'];
type Refused = { refused: Error };

/** refusals the user should read beside the buttons (not as a failure of the studio) */
const REFUSALS = ['BundleError', 'BundleConflictError'];

export function createBundleSlice(
  set: Set,
  get: Get,
  env: { client: EngineClient; fail: Fail; job: RunJob; confirm: Confirm; refresh: () => Promise<void> },
): BundleSlice {
  const { client, job, confirm, refresh } = env;
  const importOnce = (file: File, replace: boolean) =>
    job<BundleImportSummary | Refused>('bundle', `Import project ${file.name}`, (p) => {
      const h = client.start('import-bundle', replace ? { file, replace } : { file }, p);
      const promise = h.promise.catch((e: unknown) => {
        if (!REFUSALS.includes((e as Error | null)?.name ?? '')) throw e;
        return { refused: e as Error };
      });
      return { id: h.id, promise };
    });
  return {
    bundleOutcome: null,
    dismissBundleOutcome: () => set({ bundleOutcome: null }),

    async exportProject() {
      set({ bundleOutcome: null });
      const out = await job('bundle', 'Export project', (p) => client.start('export-bundle', {}, p));
      if (!out) return undefined;
      set({
        bundleOutcome: {
          kind: 'exported',
          fileName: out.fileName,
          bytes: out.blob.size,
          manifest: out.manifest,
        },
      });
      return { blob: out.blob, fileName: out.fileName };
    },

    async importProject(file) {
      set({ bundleOutcome: null });
      let r = await importOnce(file, false);
      if (r && 'refused' in r && r.refused.name === 'BundleConflictError') {
        if (await confirm(`${r.refused.message}\n\nReplace them with the bundle's?`))
          r = await importOnce(file, true);
      }
      if (!r) return;
      if ('refused' in r) {
        set({ bundleOutcome: { kind: 'refused', file: file.name, message: r.refused.message } });
        return;
      }
      set({ bundleOutcome: { kind: 'imported', file: file.name, summary: r } });
      await refresh();
      await get().refreshModels();
      await get().refreshTraining();
      await get().refreshSynth();
      await get().refreshPromptSearches();
      if (!get().dataset && r.datasets.length) get().selectDataset(r.datasets[0]);
    },
  };
}
