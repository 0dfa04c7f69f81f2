import type { DatasetMeta } from '../../store/db';
import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import type { TrainSpec } from '../../store/training-types';
import { nodeEngineDeps } from '../../testing/engine-deps';
import { defaultTrainConfig } from '../../train/defaults';
import { connectInProcess } from '../../worker/local';
import type { MergeScoreResult, PoolInfo } from '../../worker/features/merge/protocol';
import { adapterExpertRecord } from '../../testing/expert-record';
import { MERGE_COALESCE_MS, MERGE_DEBOUNCE_MS } from './merge';
import { draftProblem, draftRecipe, emptyDraft, flagValue, recipeDraft } from './merge-draft';
import type { MergeDraft } from './merge-types';
import { datasetDomains, domainOf, mergeFigures, spreadSeeds } from './merge-figures';
import { createUiStore } from './ui';
import { importRecipeYaml } from '../merge/recipe-io';

const spec = (name: string, seed: number, lr: number): TrainSpec => ({
  name,
  baseModel: 'glove',
  data: { kind: 'dataset', dataset: 'demo', split: 'test' },
  mining: null,
  dev: null,
  config: {
    ...defaultTrainConfig('adapter'),
    steps: 12,
    batchSize: 8,
    warmupSteps: 1,
    checkpointEvery: 100,
    devEvery: 0,
    hardNegatives: 0,
    lr,
    seed,
    adapter: { kind: 'lowrank', rank: 8 },
  },
});

/** The studio's store over an in-process engine; `sent` lists every request type the store starts. */
async function studio() {
  const deps = nodeEngineDeps(`ui-merge-${Date.now()}-${Math.random()}`);
  const results: string[] = [];
  const { client } = connectInProcess(deps, (e) => {
    if (e.type === 'result') results.push(e.request);
  });
  const sent: string[] = [];
  const start = client.start.bind(client);
  client.start = ((t, b, p) => {
    sent.push(t);
    return start(t, b, p);
  }) as typeof client.start;
  const store = createUiStore(client, { db: deps.db, baseUrl: 'http://localhost/', confirm: () => true });
  await store.getState().hydrate();
  await store.getState().setBackendPref('cpu');
  await store.getState().loadDemo();
  return { store, client, sent, results };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
async function until(f: () => boolean, ms = 60_000) {
  const t = Date.now();
  while (!f()) {
    if (Date.now() - t > ms) throw new Error('timed out');
    await sleep(20);
  }
}

describe('UI store: merge', () => {
  it('explains what is missing before there is anything to merge', async () => {
    const { store } = await studio();
    store.getState().mergeOpen();
    await sleep(MERGE_DEBOUNCE_MS + 50);
    expect(store.getState().mergePools).toEqual([{ dataset: 'demo', split: 'test' }]);
    expect(store.getState().mergeScore).toMatchObject({
      status: 'idle',
      message: 'No experts yet: train two in the Train tab, then come back to merge them.',
    });
    await store.getState().startTraining(spec('only', 1, 2e-2));
    store.getState().mergeOpen();
    await sleep(MERGE_DEBOUNCE_MS + 50);
    expect(store.getState().mergeScore.message).toMatch(
      /^Tick the expert to scale it .* a merge proper needs two experts/,
    );
  }, 120_000);

  it('debounces slider moves into one re-score, shows the figures of the last recipe, undoes and redoes moves, refuses a mixed tick, saves the merge', async () => {
    const { store, client, sent, results } = await studio();
    await store.getState().startTraining(spec('A', 1, 2e-2));
    await store.getState().startTraining(spec('B', 2, 1e-2));
    const s = () => store.getState();
    const [a, b] = s().experts.map((e) => e.id);
    s().mergeOpen();
    s().mergeSetMethod('task_arithmetic');
    s().mergeToggleExpert(a);
    s().mergeToggleExpert(b);
    await until(() => s().mergeScore.status === 'done');
    const first = s().mergeScore.result as MergeScoreResult;
    expect(sent.filter((t) => t === 'merge-pools')).toHaveLength(1);
    expect(sent.filter((t) => t === 'merge-score')).toHaveLength(1);

    // five quick moves of one slider: one re-score, of the last value, and one undo step
    const past = s().mergePast.length;
    for (const w of [0.6, 0.7, 0.8, 0.9, 1]) s().mergeSetParam(a, 'weight', w);
    expect(s().mergePast.length).toBe(past + 1);
    // the figures shown are marked stale at once; nothing is sent inside the debounce
    expect(s().mergeScore.status).toBe('pending');
    await sleep(MERGE_DEBOUNCE_MS / 2);
    expect(sent.filter((t) => t === 'merge-score')).toHaveLength(1);
    await until(() => s().mergeScore.status === 'done' && s().mergeScore.result !== first);
    expect(sent.filter((t) => t === 'merge-score')).toHaveLength(2);
    expect(sent.filter((t) => t === 'merge-pools')).toHaveLength(1); // the pools are cached
    const recipe = draftRecipe(s().mergeDraft, s().experts);
    expect(recipe.experts.map((e) => e.params)).toEqual([{ weight: 1 }, { weight: 0.5 }]);
    const direct = await client.request('merge-score', { recipe, pools: s().mergePools, backend: 'cpu' });
    expect(s().mergeScore.result?.merged).toEqual(direct.merged);

    // a move on another control after the coalescing window is its own undo step
    await sleep(MERGE_COALESCE_MS + 20);
    s().mergeSetParam(b, 'weight', 0);
    s().mergeSetGlobal('lambda', 0.5);
    expect(s().mergeDraft.lambda).toBe(0.5);
    s().mergeUndo();
    expect(s().mergeDraft.lambda).toBe(1);
    expect(s().mergeDraft.params[b].weight).toBe(0);
    s().mergeUndo();
    expect(s().mergeDraft.params[b].weight).toBe(0.5);
    expect(s().mergeDraft.params[a].weight).toBe(1);
    s().mergeUndo();
    expect(s().mergeDraft.params[a].weight).toBe(0.5);
    s().mergeRedo();
    s().mergeRedo();
    expect(s().mergeDraft.params[b].weight).toBe(0);
    expect(s().mergeFuture).toHaveLength(1);
    // a new move drops the redo branch
    s().mergeSetGlobal('lambda', 0.8);
    expect(s().mergeFuture).toHaveLength(0);
    await until(
      () => s().mergeScore.status === 'done' && s().mergeScore.key?.includes('"lambda":0.8') === true,
    );

    // a re-score still waiting (behind a long training job) is cancelled by a newer one and never runs
    const base = spec('long', 3, 1e-2);
    const long = s().startTraining({ ...base, config: { ...base.config, steps: 100_000 } });
    await until(() => (s().training?.history.length ?? 0) > 0);
    const scoredBefore = results.filter((t) => t === 'merge-score').length;
    s().mergeSetParam(b, 'weight', 0.25);
    await until(() => s().mergeScore.status === 'scoring');
    await sleep(MERGE_COALESCE_MS + 20);
    s().mergeSetParam(b, 'weight', 0.3);
    await until(() => sent.includes('cancel'));
    s().cancelJob(s().training!.jobId);
    await long;
    await until(
      () => s().mergeScore.status === 'done' && s().mergeScore.key?.includes('"weight":0.3') === true,
    );
    expect(results.filter((t) => t === 'merge-score').length).toBe(scoredBefore + 1);
    expect(s().mergeScore.result?.merged).toEqual(
      (
        await client.request('merge-score', {
          recipe: draftRecipe(s().mergeDraft, s().experts),
          pools: s().mergePools,
          backend: 'cpu',
        })
      ).merged,
    );

    // an expert of another method cannot be ticked beside these
    const lora = { ...s().experts[0], id: 'lora-x', name: 'a LoRA', method: 'lora' as const };
    store.setState({ experts: [...s().experts, lora] });
    s().mergeToggleExpert('lora-x');
    expect(s().mergeDraft.picked).toEqual([a, b]);
    expect(s().mergeNotice).toMatch(
      /"a LoRA" \(lora over glove\) cannot be merged with "A" \(adapter over glove\)/,
    );
    await s().refreshTraining();

    const saved = await s().mergeSave('A+B');
    expect(saved?.merge).toEqual(draftRecipe(s().mergeDraft, s().experts));
    expect(s().experts.find((e) => e.id === saved?.id)?.data.source).toMatch(
      /^merge: task_arithmetic λ=0.8 · A 1 \+ B 0.3$/,
    );
    // the full evaluation is an Evaluate run on the whole split
    await s().mergeEvaluateFull(saved!.id);
    expect(s().mergeFull?.rows).toEqual([
      expect.objectContaining({ dataset: 'demo', split: 'test', docs: 240 }),
    ]);
    expect(s().runs.some((r) => r.retriever === `expert:${saved!.id}`)).toBe(true);
    expect(s().errors).toEqual([]);
  }, 240_000);
});

const scores = (ndcg: number) => ({ 'ndcg@10': ndcg, 'recall@10': 0, 'mrr@10': 0, 'recall@100': 0 });
const pool = (dataset: string, base: number, a: number, b: number): PoolInfo => ({
  dataset,
  split: 'dev',
  k: 100,
  queries: 10,
  docs: 300,
  corpus: 1000,
  base: scores(base),
  experts: { a: scores(a), b: scores(b) },
});

describe('merge figures: which figure is which', () => {
  const r: MergeScoreResult = {
    pools: [pool('med', 0.4, 0.6, 0.3), pool('cran', 0.3, 0.2, 0.35), pool('medquad', 0.5, 0.5, 0.7)],
    merged: [scores(0.55), scores(0.34), scores(0.66)],
    spread: {
      seeds: [0, 1],
      ndcg10: [
        [0.55, 0.34, 0.66],
        [0.45, 0.3, 0.6],
      ],
    },
    ms: 5,
  };
  const f = mergeFigures(r, {}, ['a', 'b']);

  it('an imported mergekit YAML is one undo step of its own, even right after another recipe', async () => {
    const { store } = await studio();
    const experts = [
      adapterExpertRecord({ id: 'y1', name: 'Med-Real', baseModel: 'use-lite' }),
      adapterExpertRecord({ id: 'y2', name: 'General-Synth', baseModel: 'use-lite' }),
    ];
    store.setState({ experts });
    const yaml = (w: number) =>
      `merge_method: task_arithmetic\nbase_model: use-lite\nmodels:\n  - model: med-real\n    parameters:\n      weight: ${w}\n  - model: General-Synth\n    parameters:\n      weight: 0.2\n`;
    const a = importRecipeYaml(yaml(0.9), 'a.yml', experts);
    const b = importRecipeYaml(yaml(0.4), 'b.yml', experts);
    if (!a.ok || !b.ok) throw new Error('the recipes should import');
    const before = store.getState().mergeDraft;
    store.getState().mergeApplyRecipe(a.recipe, 'import:1');
    store.getState().mergeApplyRecipe(b.recipe, 'import:2');
    const d = store.getState().mergeDraft;
    expect(d.method).toBe('task_arithmetic');
    expect(d.picked).toEqual(['y1', 'y2']);
    expect(d.params.y1.weight).toBe(0.4);
    store.getState().mergeUndo();
    expect(store.getState().mergeDraft.params.y1.weight).toBe(0.9);
    store.getState().mergeUndo();
    expect(store.getState().mergeDraft).toEqual(before);
  });

  it('per task: the merge against the base and the best single expert on that task', () => {
    expect(f.tasks.map((t) => t.label)).toEqual(['med/dev', 'cran/dev', 'medquad/dev']);
    expect(f.tasks[0]).toMatchObject({ merged: 0.55, base: 0.4, best: { id: 'a', value: 0.6 } });
    expect(f.tasks[0].dBase).toBeCloseTo(0.15, 12);
    expect(f.tasks[0].dBest).toBeCloseTo(-0.05, 12);
    expect(f.tasks[2].best).toEqual({ id: 'b', value: 0.7 });
    expect(f.tasks[0].pool).toEqual({ k: 100, docs: 300, corpus: 1000, queries: 10 });
  });

  it('averages: medical (med, medquad), general (cran), all; the best single expert is one expert over the group', () => {
    expect(f.averages.map((x) => x.label)).toEqual([
      'medical average',
      'general average',
      'all tasks average',
    ]);
    const [med, gen, all] = f.averages;
    expect(med.merged).toBeCloseTo(0.605, 12);
    expect(med.base).toBeCloseTo(0.45, 12);
    // a: (0.6 + 0.5) / 2 = 0.55, b: (0.3 + 0.7) / 2 = 0.5 — not the per-task best (0.65)
    expect(med.best?.id).toBe('a');
    expect(med.best?.value).toBeCloseTo(0.55, 12);
    expect(med.dBest).toBeCloseTo(0.055, 12);
    expect(gen.best).toEqual({ id: 'b', value: 0.35 });
    expect(all.tasks).toBe(3);
    expect(all.best?.id).toBe('b'); // (0.3 + 0.35 + 0.7) / 3 = 0.45 > (0.6 + 0.2 + 0.5) / 3
    expect(all.spread?.min).toBeCloseTo((0.45 + 0.3 + 0.6) / 3, 12);
    expect(all.spread?.max).toBeCloseTo((0.55 + 0.34 + 0.66) / 3, 12);
    expect(f.tasks[1].spread).toMatchObject({ mean: 0.32, min: 0.3, max: 0.34, seeds: 2 });
  });

  it('a domain marked by the user wins over the name; one domain gives no "all" row', () => {
    expect(domainOf('medquad', {})).toBe('medical');
    expect(domainOf('cran', {})).toBe('general');
    // the dataset's stored group (the Data tab's and the dashboard's) is the Merge tab's domain
    const meta = (name: string, group?: 'medical' | 'general') =>
      ({ name, description: '', ...(group ? { group } : {}) }) as unknown as DatasetMeta;
    expect(datasetDomains([meta('cran', 'medical'), meta('medquad')])).toEqual({
      cran: 'medical',
      medquad: 'medical',
    });
    const g = mergeFigures(r, { med: 'general', medquad: 'general' }, ['a', 'b']);
    expect(g.averages.map((x) => x.label)).toEqual(['general average']);
    expect(spreadSeeds(7)).toEqual([7, 8, 9, 10, 11]);
  });
});

describe('merge draft → recipe: only what the method reads', () => {
  const experts = [adapterExpertRecord({ id: 'a', name: 'A' }), adapterExpertRecord({ id: 'b', name: 'B' })];
  const p = { weight: 0.7, density: 0.4, gamma: 0.02, epsilon: 0.1 };
  const d = (over: Partial<MergeDraft>): MergeDraft => ({
    ...emptyDraft(),
    picked: ['a', 'b'],
    params: { a: p, b: { ...p, weight: 0.3 } },
    lambda: 0.9,
    seed: 5,
    t: 0.25,
    ...over,
  });

  it('per method: its per-expert and global parameters, switches only when set', () => {
    expect(draftRecipe(d({ method: 'task_arithmetic' }), experts)).toEqual({
      method: 'task_arithmetic',
      baseModel: 'glove',
      experts: [
        { id: 'a', name: 'A', params: { weight: 0.7 } },
        { id: 'b', name: 'B', params: { weight: 0.3 } },
      ],
      options: { lambda: 0.9 },
    });
    const ties = draftRecipe(d({ method: 'ties', flags: { normalize: false, filterWise: true } }), experts);
    expect(ties.experts[0].params).toEqual({ weight: 0.7, density: 0.4 });
    expect(ties.options).toEqual({ lambda: 0.9, normalize: false });
    expect(draftRecipe(d({ method: 'breadcrumbs' }), experts).experts[0].params).toEqual({
      weight: 0.7,
      density: 0.4,
      gamma: 0.02,
    });
    const della = draftRecipe(d({ method: 'della' }), experts);
    expect(della.experts[0].params).toEqual({ weight: 0.7, density: 0.4, epsilon: 0.1 });
    expect(della.options).toEqual({ lambda: 0.9, seed: 5 });
    expect(draftRecipe(d({ method: 'slerp', picked: ['a'] }), experts).options).toEqual({ t: 0.25 });
    expect(draftRecipe(d({ method: 'linear' }), experts).options).toEqual({});
  });

  it("a switch shows the method's default until set; a saved recipe goes back on the sliders", () => {
    expect(flagValue(d({ method: 'ties' }), 'normalize')).toBe(true);
    expect(flagValue(d({ method: 'task_arithmetic' }), 'normalize')).toBe(false);
    expect(flagValue(d({ method: 'dare_linear' }), 'rescale')).toBe(true);
    expect(flagValue(d({ method: 'multislerp' }), 'normalizeWeights')).toBe(true);
    expect(flagValue(d({ method: 'ties', flags: { normalize: false } }), 'normalize')).toBe(false);
    const r = draftRecipe(d({ method: 'dare_ties', flags: { rescale: false } }), experts);
    const back = recipeDraft(r, emptyDraft());
    expect(draftRecipe(back, experts)).toEqual(r);
    expect(back.flags).toEqual({ rescale: false });
  });

  it('the query instruction: absent (the first expert’s), none or a text; it goes into the recipe and back', () => {
    expect(draftRecipe(d({ method: 'ties' }), experts)).not.toHaveProperty('instruction');
    expect(draftRecipe(d({ method: 'ties', instruction: null }), experts).instruction).toBeNull();
    const r = draftRecipe(d({ method: 'ties', instruction: 'Find relevant passages' }), experts);
    expect(r.instruction).toBe('Find relevant passages');
    expect(recipeDraft(r, emptyDraft()).instruction).toBe('Find relevant passages');
    expect(recipeDraft({ ...r, instruction: undefined }, d({ instruction: 'x' }))).not.toHaveProperty(
      'instruction',
    );
  });

  it('says what is missing, in order', () => {
    const pools = [{ dataset: 'demo', split: 'test' }];
    expect(draftProblem(d({}), [], pools)).toMatch(/^No experts yet/);
    expect(draftProblem(d({ picked: [] }), experts, pools)).toMatch(/^Tick two or more experts/);
    expect(draftProblem(d({ method: 'model_stock', picked: ['a'] }), experts, pools)).toBe(
      'Model Stock needs at least 2 experts; 1 ticked.',
    );
    expect(draftProblem(d({ method: 'slerp' }), experts, pools)).toMatch(
      /blends the base with exactly 1 expert/,
    );
    expect(draftProblem(d({}), experts, [])).toBe('Choose at least one dataset split to score the merge on.');
    expect(draftProblem(d({ method: 'task_arithmetic', picked: ['a'] }), experts, pools)).toBeNull();
  });
});
