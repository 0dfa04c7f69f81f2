/**
 * The Synthesize part of the UI store: synthetic sets, the review queue of the selected one (a page of
 * the items its filter shows, one in focus), decisions with an in-memory undo stack, bulk decisions,
 * export/import. Every decision goes to the worker, which stores it at once (with the set's counts).
 */
import type { StoreApi } from 'zustand/vanilla';
import type { SynthFilter } from '../../synth/review';
import type { ReviewPolicy, ReviewStatus, SynthItem } from '../../synth/types';
import type { EngineClient } from '../../worker/client';
import type { SynthDecision, SynthGenerateRequest, SynthSetRecord } from '../../worker/protocol';
import type { Confirm } from './ask';
import { plural } from '../../util/words';
import { DEFAULT_ENDPOINT_CONFIG, storableEndpointConfig } from '../../synth/endpoint-config';
import type { Settings } from '../../store/settings';
import type { Fail, RunJob, SynthSlice, UiState } from './types';

export type { SynthSlice } from './types';

type Set = StoreApi<UiState>['setState'];
type Get = StoreApi<UiState>['getState'];

/** Items per page of the review queue. */
export const SYNTH_PAGE = 50;
/** How many decisions `u` can take back. */
const UNDO_DEPTH = 200;

const STATUS_WORD: Record<ReviewStatus, string> = {
  pending: 'pending',
  accepted: 'accepted',
  rejected: 'rejected',
};

/** The filter in words, for questions and empty states ("pending ICT items with score ≥ 0.2"). */
export function filterWords(f: SynthFilter): string {
  const parts = [f.status ? STATUS_WORD[f.status] : '', f.method ? f.method.toUpperCase() : '', 'items'];
  const s = parts.filter(Boolean).join(' ');
  const lo = f.minScore !== undefined ? `score ≥ ${f.minScore}` : '';
  const hi = f.maxScore !== undefined ? `score ≤ ${f.maxScore}` : '';
  const range = [lo, hi].filter(Boolean).join(' and ');
  return range ? `${s} with ${range}` : s;
}

export function createSynthSlice(
  set: Set,
  get: Get,
  env: {
    client: EngineClient;
    fail: Fail;
    job: RunJob;
    confirm: Confirm;
    persist: (patch: Partial<Settings>) => void;
  },
): SynthSlice {
  const { client, fail, job, confirm, persist } = env;
  /** loads the page at `offset` of the selected set under the current filter */
  const load = async (offset: number, focus: number) => {
    const id = get().synthSet;
    if (!id) return set({ synthPage: null });
    try {
      const page = await client.request('synth-items', {
        set: id,
        filter: get().synthFilter,
        offset,
        limit: SYNTH_PAGE,
      });
      if (get().synthSet !== id) return;
      set((s) => ({
        synthPage: page,
        synthFocus: Math.max(0, Math.min(focus, page.items.length - 1)),
        synthSets: s.synthSets.map((x) => (x.id === id ? page.set : x)),
      }));
    } catch (e) {
      fail('Loading the review queue', e);
    }
  };
  const replaced = (item: SynthItem, rec: SynthSetRecord) =>
    set((s) => ({
      synthPage: s.synthPage
        ? { ...s.synthPage, set: rec, items: s.synthPage.items.map((x) => (x.id === item.id ? item : x)) }
        : null,
      synthSets: s.synthSets.map((x) => (x.id === rec.id ? rec : x)),
    }));
  /** sends a decision on an item of the page, keeps its state before for undo; true when stored */
  const decide = async (before: SynthItem, decision: SynthDecision, advance: boolean): Promise<boolean> => {
    try {
      const r = await client.request('synth-decide', { set: before.set, item: before.id, decision });
      replaced(r.item, r.set);
      set((s) => ({ synthUndo: [...s.synthUndo.slice(1 - UNDO_DEPTH), before] }));
      if (advance) get().synthMove(1);
      return true;
    } catch (e) {
      fail(`Review item ${before.id}`, e);
      return false;
    }
  };
  const focused = (): SynthItem | undefined => {
    const { synthPage, synthFocus } = get();
    return synthPage?.items[synthFocus];
  };

  return {
    synthSets: [],
    synthSet: null,
    synthFilter: {},
    synthPage: null,
    synthFocus: 0,
    synthUndo: [],
    llmEndpoint: DEFAULT_ENDPOINT_CONFIG,

    rememberEndpoint(c) {
      set({ llmEndpoint: c });
      persist({ llmEndpoint: storableEndpointConfig(c) });
    },

    async refreshSynth() {
      try {
        const synthSets = await client.request('list-synth-sets', {});
        set({ synthSets });
        const cur = get().synthSet;
        if (cur && !synthSets.some((s) => s.id === cur)) set({ synthSet: null, synthPage: null });
        if (!get().synthSet && synthSets.length) await get().selectSynthSet(synthSets[0].id);
      } catch (e) {
        fail('Listing synthetic sets', e);
      }
    },
    async generateSynth(req: SynthGenerateRequest) {
      const label =
        req.method === 'llm'
          ? `An LLM writes queries for ${req.dataset}`
          : `Write ${req.method.toUpperCase()} queries for ${req.dataset}`;
      const rec = await job('synth', label, (p) => client.start('synth-generate', req, p));
      if (!rec) return undefined;
      await get().refreshSynth();
      await get().selectSynthSet(rec.id);
      return rec;
    },
    async selectSynthSet(id) {
      set({ synthSet: id, synthFilter: {}, synthFocus: 0, synthUndo: [], synthPage: null });
      await load(0, 0);
    },
    async setSynthFilter(f) {
      set({ synthFilter: f });
      await load(0, 0);
    },
    async synthMove(delta) {
      const { synthPage: page, synthFocus: i } = get();
      if (!page || page.items.length === 0) return;
      const to = i + delta;
      if (to >= 0 && to < page.items.length) return set({ synthFocus: to });
      if (to >= page.items.length && page.offset + page.items.length < page.total)
        return load(page.offset + SYNTH_PAGE, 0);
      if (to < 0 && page.offset > 0) return load(Math.max(0, page.offset - SYNTH_PAGE), SYNTH_PAGE - 1);
    },
    async synthFocusItem(index) {
      const page = get().synthPage;
      if (page && index >= 0 && index < page.items.length) set({ synthFocus: index });
    },
    async synthSetStatus(status) {
      const it = focused();
      if (it) await decide(it, { kind: 'status', status }, true);
    },
    async synthEdit(edit) {
      const it = focused();
      if (!it) return false;
      return decide(it, { kind: 'edit', ...edit, status: 'accepted' }, false);
    },
    async synthToggleFalseNegative(index) {
      const it = focused();
      const neg = it?.negatives[index];
      if (it && neg) await decide(it, { kind: 'false-negative', index, value: !neg.falseNegative }, false);
    },
    async synthUndoLast() {
      const stack = get().synthUndo;
      const before = stack[stack.length - 1];
      if (!before) return;
      try {
        const r = await client.request('synth-decide', {
          set: before.set,
          item: before.id,
          decision: { kind: 'restore', item: before },
        });
        set({ synthUndo: stack.slice(0, -1) });
        replaced(r.item, r.set);
        // focus the item undone when it is on the page
        const at = get().synthPage?.items.findIndex((x) => x.id === before.id) ?? -1;
        if (at >= 0) set({ synthFocus: at });
      } catch (e) {
        fail(`Undo on item ${before.id}`, e);
      }
    },
    async synthBulk(status) {
      const { synthSet: id, synthFilter: f, synthPage: page } = get();
      if (!id || !page) return;
      const todo = page.total;
      const verb = status === 'accepted' ? 'Accept' : 'Reject';
      const ok = await confirm(
        `${verb} all ${plural(todo, 'item')} shown by the filter (${filterWords(f)})? Each is marked ${status} and stored at once; items already ${status} stay as they are. This cannot be undone with u.`,
      );
      if (!ok) return;
      const r = await job('synth', `${verb} ${plural(todo, 'item')}`, (p) =>
        client.start('synth-bulk-decide', { set: id, filter: f, status }, p),
      );
      if (!r) return;
      set({ synthUndo: [] });
      await load(page.offset, get().synthFocus);
    },
    async deleteSynthSet(id) {
      const s = get().synthSets.find((x) => x.id === id);
      const what = s
        ? `"${s.name}" (${plural(s.counts.total, 'item')}, ${s.counts.accepted} accepted, ${s.counts.rejected} rejected)`
        : id;
      if (
        !(await confirm(
          `Delete the synthetic set ${what} with all its items and review decisions? Experts trained on it are kept. This cannot be undone; export it first to keep a copy.`,
        ))
      )
        return;
      try {
        await client.request('delete-synth-set', { set: id });
      } catch (e) {
        fail('Delete synthetic set', e);
      }
      if (get().synthSet === id) set({ synthSet: null, synthPage: null, synthUndo: [] });
      await get().refreshSynth();
    },
    async exportSynth(policy: ReviewPolicy) {
      const id = get().synthSet;
      if (!id) return undefined;
      try {
        return await client.request('synth-export', { set: id, policy });
      } catch (e) {
        fail('Export synthetic set', e);
        return undefined;
      }
    },
    async importSynth(file) {
      const rec = await job('synth', `Import ${file.name}`, (p) => client.start('synth-import', { file }, p));
      if (!rec) return undefined;
      await get().refreshSynth();
      await get().selectSynthSet(rec.id);
      return rec;
    },
  };
}
