/**
 * The Prompts part of the UI store (issue 11): a search for a model's query instruction on a dev split in
 * the worker, its live leaderboard (in the job's progress), the stored searches (the last one is shown
 * after a reload), the winner's test score asked for once, and the winner put into the model's template.
 */
import { EXPERT_PREFIX } from '../../experts/record';
import type { StoreApi } from 'zustand/vanilla';
import type { PromptSearchProgress } from '../../prompts/search-types';
import type { EngineClient, JobProgress } from '../../worker/client';
import type { PromptSearchRequest } from '../../worker/features/prompts/protocol';
import type { Fail, PromptsSlice, RunJob, UiState } from './types';

export type { PromptsSlice } from './types';

type Set = StoreApi<UiState>['setState'];
type Get = StoreApi<UiState>['getState'];

export function createPromptsSlice(
  set: Set,
  get: Get,
  env: { client: EngineClient; fail: Fail; job: RunJob },
): PromptsSlice {
  const { client, fail, job } = env;
  return {
    promptSearches: [],
    promptCancelled: null,

    async refreshPromptSearches() {
      try {
        set({ promptSearches: await client.request('list-prompt-searches', {}) });
      } catch (e) {
        fail('Reading the stored prompt searches', e);
      }
    },
    async startPromptSearch(req: Omit<PromptSearchRequest, 'backend'>) {
      set({ promptCancelled: null });
      let last: PromptSearchProgress | null = null;
      let cancelled = false;
      const label = `Prompt search for ${req.model} on ${req.dataset}/${req.split}`;
      const rec = await job('prompts', label, (onProgress) => {
        const h = client.start('prompt-search', { ...req, backend: get().backendPref }, (p: JobProgress) => {
          if (p.prompts) last = p.prompts;
          onProgress(p);
        });
        return {
          id: h.id,
          promise: h.promise.catch((e: Error) => {
            cancelled = e.name === 'AbortError';
            throw e;
          }),
        };
      });
      // a cancelled search keeps its leaderboard so far on screen (it is not stored)
      if (!rec) {
        if (cancelled && last) set({ promptCancelled: last });
        return undefined;
      }
      await get().refreshPromptSearches();
      return rec;
    },
    async scorePromptOnTest(search: string) {
      const rec = await job('prompts', 'Score the winning prompt on test', (p) =>
        client.start('prompt-score-test', { search, backend: get().backendPref }, p),
      );
      if (rec) await get().refreshPromptSearches();
      return rec;
    },
    async applyPrompt(model: string, instruction: string | null) {
      try {
        const res = await client.request('apply-prompt', { model, instruction });
        set((s) => ({
          modelTemplates: { ...s.modelTemplates, [model]: res },
          similarity: s.similarity?.model === model ? null : s.similarity,
        }));
        await (model.startsWith(EXPERT_PREFIX) ? get().refreshTraining() : get().refreshModels());
        return true;
      } catch (e) {
        fail(`Use the prompt for ${model}`, e);
        return false;
      }
    },
  };
}
