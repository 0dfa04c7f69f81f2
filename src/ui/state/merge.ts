/**
 * The Merge part of the UI store: the sliders (a draft with undo/redo), the dev splits, and the live figures.
 * Every change schedules a re-score after MERGE_DEBOUNCE_MS of quiet; a re-score cancels the one in flight
 * (its figures would be stale). Dev pools are built by a visible, cancellable job the first time a set of
 * experts, splits and k is scored; after that a re-score is one merge over cached vectors.
 */
import type { StoreApi } from 'zustand/vanilla';
import { getMergeMethod } from '../../merge/registry';
import type { EngineClient } from '../../worker/client';
import { sameRef, spreadSeeds } from './merge-figures';
import { DEFAULT_EXPERT_PARAMS, draftProblem, draftRecipe, emptyDraft, recipeDraft } from './merge-draft';
import type { MergeDraft, MergeSlice } from './merge-types';
import type { Fail, RunJob, UiState } from './types';

export type { MergeSlice } from './merge-types';

type Set = StoreApi<UiState>['setState'];
type Get = StoreApi<UiState>['getState'];

export const MERGE_DEBOUNCE_MS = 200;
/** slider moves on one control closer together than this are one undo step (a drag) */
export const MERGE_COALESCE_MS = 800;
export const DEFAULT_POOL_K = 100;

export function createMergeSlice(
  set: Set,
  get: Get,
  env: { client: EngineClient; fail: Fail; job: RunJob },
): MergeSlice {
  const { client, fail, job } = env;
  let timer: ReturnType<typeof setTimeout> | null = null;
  let inflight: { id: number; cancel(): void } | null = null;
  let builtPools: string | null = null;
  let last: { key: string; at: number } | null = null;
  let poolsChosen = false;

  /** applies an edit; edits of one control within MERGE_COALESCE_MS are one undo step */
  const edit = (fn: (d: MergeDraft) => MergeDraft, control: string) => {
    const now = Date.now();
    const coalesce = last !== null && last.key === control && now - last.at < MERGE_COALESCE_MS;
    last = { key: control, at: now };
    set((s) => ({
      mergeDraft: fn(s.mergeDraft),
      mergePast: coalesce ? s.mergePast : [...s.mergePast, s.mergeDraft].slice(-200),
      mergeFuture: [],
    }));
    get().mergeSchedule();
  };

  const rescore = async () => {
    const s = get();
    const problem = draftProblem(s.mergeDraft, s.experts, s.mergePools);
    if (problem || s.mergeDraft.picked.some((id) => !s.experts.some((e) => e.id === id))) {
      inflight?.cancel();
      inflight = null;
      set({
        mergeScore: {
          ...get().mergeScore,
          status: 'idle',
          message: problem ?? 'An expert of this merge was deleted; untick it.',
        },
      });
      return;
    }
    const recipe = draftRecipe(s.mergeDraft, s.experts);
    const pools = s.mergePools.map((p) => ({ ...p }));
    const stochastic = getMergeMethod(recipe.method).stochastic;
    const body = {
      recipe,
      pools,
      k: s.mergeK,
      backend: s.backendPref,
      ...(stochastic ? { spreadSeeds: spreadSeeds(s.mergeDraft.seed) } : {}),
    };
    const key = JSON.stringify(body);
    if (key === s.mergeScore.key && s.mergeScore.result) {
      // back to what is shown (e.g. a move and its undo within the debounce): nothing to score
      inflight?.cancel();
      inflight = null;
      set({ mergeScore: { ...s.mergeScore, status: 'done', message: null } });
      return;
    }
    inflight?.cancel();
    inflight = null;
    const poolKey = JSON.stringify([recipe.baseModel, [...s.mergeDraft.picked].sort(), pools, s.mergeK]);
    if (poolKey !== builtPools) {
      set({ mergeScore: { ...get().mergeScore, status: 'building', message: null } });
      const label = `Build dev pools (k=${s.mergeK}) on ${pools.map((p) => `${p.dataset}/${p.split}`).join(', ')}`;
      const ok = await job('merge', label, (p) =>
        client.start(
          'merge-pools',
          {
            baseModel: recipe.baseModel,
            experts: s.mergeDraft.picked,
            pools,
            k: s.mergeK,
            backend: s.backendPref,
          },
          p,
        ),
      );
      if (!ok) {
        set({
          mergeScore: { ...get().mergeScore, status: 'error', message: 'The dev pools were not built.' },
        });
        return;
      }
      builtPools = poolKey;
      // the sliders may have moved while the pools were built: score what they say now
      if (timer !== null) return;
    }
    set({ mergeScore: { ...get().mergeScore, status: 'scoring', message: null } });
    const h = client.start('merge-score', body);
    inflight = h;
    try {
      const result = await h.promise;
      if (inflight !== h) return;
      set({ mergeScore: { status: 'done', message: null, result, pools, key } });
    } catch (e) {
      if (inflight !== h || (e as Error).name === 'AbortError') return;
      set({ mergeScore: { ...get().mergeScore, status: 'error', message: (e as Error).message, key: null } });
    } finally {
      if (inflight === h) inflight = null;
    }
  };

  return {
    mergeDraft: emptyDraft(),
    mergePast: [],
    mergeFuture: [],
    mergePools: [],
    mergeK: DEFAULT_POOL_K,
    mergeNotice: null,
    mergeScore: { status: 'idle', message: null, result: null, pools: [], key: null },
    mergeSaved: null,
    mergeFull: null,

    mergeOpen() {
      const s = get();
      // experts deleted since: they leave the draft (and its history) quietly
      const known = (id: string) => s.experts.some((e) => e.id === id);
      if (!s.mergeDraft.picked.every(known))
        set({
          mergeDraft: { ...s.mergeDraft, picked: s.mergeDraft.picked.filter(known) },
          mergePast: [],
          mergeFuture: [],
        });
      if (!poolsChosen && s.mergePools.length === 0) {
        const ds = s.datasets.find((d) => 'dev' in d.splits) ?? s.datasets[0];
        const names = ds ? Object.keys(ds.splits).sort() : [];
        const split = names.includes('dev') ? 'dev' : names.includes('test') ? 'test' : names[0];
        if (ds && split) set({ mergePools: [{ dataset: ds.name, split }] });
      }
      poolsChosen = true;
      get().mergeSchedule();
    },
    mergeToggleExpert(id) {
      const { mergeDraft: d, experts } = get();
      const e = experts.find((x) => x.id === id);
      if (!e) return;
      if (!d.picked.includes(id)) {
        const first = experts.find((x) => x.id === d.picked[0]);
        if (first && (first.baseModel !== e.baseModel || first.method !== e.method)) {
          set({
            mergeNotice: `"${e.name}" (${e.method} over ${e.baseModel}) cannot be merged with "${first.name}" (${first.method} over ${first.baseModel}): only experts of one base model and one training method merge together. Untick the others first to merge it.`,
          });
          return;
        }
      }
      set({ mergeNotice: null });
      edit(
        (x) => ({
          ...x,
          picked: x.picked.includes(id) ? x.picked.filter((p) => p !== id) : [...x.picked, id],
          params: x.params[id] ? x.params : { ...x.params, [id]: { ...DEFAULT_EXPERT_PARAMS } },
        }),
        `tick:${id}`,
      );
    },
    mergeSetMethod(method) {
      edit((x) => ({ ...x, method, flags: {} }), 'method');
    },
    mergeSetParam(id, key, value) {
      edit(
        (x) => ({
          ...x,
          params: { ...x.params, [id]: { ...DEFAULT_EXPERT_PARAMS, ...x.params[id], [key]: value } },
        }),
        `${key}:${id}`,
      );
    },
    mergeSetGlobal(key, value) {
      edit((x) => ({ ...x, [key]: value }), key);
    },
    mergeSetFlag(key, value) {
      edit((x) => ({ ...x, flags: { ...x.flags, [key]: value } }), `flag:${key}`);
    },
    mergeSetInstruction(value) {
      edit((x) => {
        const { instruction: _, ...rest } = x;
        return value === undefined ? rest : { ...rest, instruction: value };
      }, 'instruction');
    },
    mergeUndo() {
      const { mergePast, mergeDraft, mergeFuture } = get();
      if (!mergePast.length) return;
      last = null;
      set({
        mergeDraft: mergePast[mergePast.length - 1],
        mergePast: mergePast.slice(0, -1),
        mergeFuture: [mergeDraft, ...mergeFuture],
      });
      get().mergeSchedule();
    },
    mergeRedo() {
      const { mergePast, mergeDraft, mergeFuture } = get();
      if (!mergeFuture.length) return;
      last = null;
      set({
        mergeDraft: mergeFuture[0],
        mergePast: [...mergePast, mergeDraft],
        mergeFuture: mergeFuture.slice(1),
      });
      get().mergeSchedule();
    },
    mergeTogglePool(ref) {
      const pools = get().mergePools;
      set({
        mergePools: pools.some((p) => sameRef(p, ref))
          ? pools.filter((p) => !sameRef(p, ref))
          : [...pools, ref],
      });
      get().mergeSchedule();
    },
    mergeSetK(k) {
      if (!Number.isInteger(k) || k < 1 || k > 10_000) return;
      set({ mergeK: k });
      get().mergeSchedule();
    },
    mergeLoadRecipe(expertId) {
      const r = get().experts.find((e) => e.id === expertId)?.merge;
      if (!r) return;
      const missing = r.experts.filter((x) => !get().experts.some((e) => e.id === x.id));
      if (missing.length) {
        set({
          mergeNotice: `This merge's expert(s) ${missing.map((m) => `"${m.name}"`).join(', ')} were deleted; its recipe cannot be put back on the sliders.`,
        });
        return;
      }
      set({ mergeNotice: null });
      edit((x) => recipeDraft(r, x), `load:${expertId}`);
    },
    mergeApplyRecipe(recipe, control = 'search') {
      set({ mergeNotice: null });
      edit((x) => recipeDraft(recipe, x), control);
    },
    mergeSearchStart(req, onProgress) {
      const h = client.start('merge-search', req, onProgress);
      return { promise: h.promise, cancel: () => h.cancel() };
    },
    mergeSchedule() {
      if (timer !== null) clearTimeout(timer);
      const sc = get().mergeScore;
      if (sc.status === 'done' || sc.status === 'error') set({ mergeScore: { ...sc, status: 'pending' } });
      timer = setTimeout(() => {
        timer = null;
        void rescore().catch((e: unknown) => fail('Scoring the merge', e));
      }, MERGE_DEBOUNCE_MS);
    },
    async mergeSave(name) {
      const s = get();
      const problem = draftProblem(
        s.mergeDraft,
        s.experts,
        s.mergePools.length ? s.mergePools : [{ dataset: '-', split: '-' }],
      );
      if (problem) {
        fail('Save merge', new Error(problem));
        return undefined;
      }
      const recipe = draftRecipe(s.mergeDraft, s.experts);
      const rec = await job('merge', `Save merge "${name}"`, (p) =>
        client.start('merge-save', { recipe, name, backend: s.backendPref }, p),
      );
      if (!rec) return undefined;
      set({ mergeSaved: rec, mergeFull: null });
      await get().refreshTraining();
      return rec;
    },
    async mergeLoraOut(expertId, rank) {
      const name = get().experts.find((e) => e.id === expertId)?.name ?? expertId;
      return job('merge', `Export "${name}" as a rank-${rank} LoRA`, (p) =>
        client.start('merge-lora-out', { expert: expertId, rank }, p),
      );
    },
    async mergeEvaluateFull(expertId) {
      const s = get();
      const rec = s.experts.find((e) => e.id === expertId);
      if (!rec) return;
      const pools = s.mergePools.length ? s.mergePools : [];
      if (!pools.length)
        return fail('Full evaluation', new Error('Choose at least one dataset split first.'));
      const rows: NonNullable<MergeSlice['mergeFull']>['rows'] = [];
      set({ mergeFull: { expert: expertId, rows } });
      for (const p of pools) {
        const run = await job(
          'evaluate',
          `${rec.name} (merge) on ${p.dataset}/${p.split}, full split`,
          (pr) =>
            client.start(
              'evaluate',
              {
                dataset: p.dataset,
                split: p.split,
                retriever: { model: `expert:${expertId}` },
                backend: get().backendPref,
              },
              pr,
            ),
        );
        if (!run) return;
        const docs = get().datasets.find((d) => d.name === p.dataset)?.counts.docs ?? 0;
        rows.push({
          dataset: p.dataset,
          split: p.split,
          ndcg10: run.report.metrics['ndcg@10'],
          docs,
          runId: run.id,
        });
        set({ mergeFull: { expert: expertId, rows: [...rows] } });
      }
      try {
        set({ runs: await client.request('list-runs', {}) });
      } catch (e) {
        fail('Reading the stored runs', e);
      }
    },
  };
}
