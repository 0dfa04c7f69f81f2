import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import type { MergeRecipe } from '../../../merge/recipe';
import { saveExpert } from '../../../store/training';
import type { TrainSpec } from '../../../store/training-types';
import { nodeEngineDeps } from '../../../testing/engine-deps';
import { adapterExpertRecord } from '../../../testing/expert-record';
import { defaultTrainConfig } from '../../../train/defaults';
import { connectInProcess } from '../../local';
import { nodeAssetFetcher } from '../../../models/node-assets';
import { loadUseLite } from '../../../models/use-lite/model';
import { randomPeft } from '../../../testing/lora-experts';
import { DEFAULT_LORA } from '../../../train/lora';
import { selectModules } from '../../../train/lora-modules';
import { loadDemoDatasetNode } from '../../../data/node';

let n = 0;
function setup() {
  const deps = nodeEngineDeps(`merge-test-${++n}-${Date.now()}`);
  const { client } = connectInProcess(deps);
  return { client, db: deps.db };
}

/** A small real adapter expert over GloVe, trained on the demo. */
function spec(name: string, seed: number, lr: number): TrainSpec {
  return {
    name,
    baseModel: 'glove',
    data: { kind: 'dataset', dataset: 'demo', split: 'test' },
    mining: null,
    config: {
      ...defaultTrainConfig('adapter'),
      steps: 12,
      batchSize: 8,
      warmupSteps: 1,
      checkpointEvery: 100,
      devEvery: 0,
      lr,
      seed,
      hardNegatives: 0,
      adapter: { kind: 'lowrank', rank: 8 },
    },
    dev: null,
  };
}

const pools = [{ dataset: 'demo', split: 'test' }];

/**
 * "mini": the demo's first 12 judged test queries over 60 of its documents (their judged ones first), as
 * BEIR files. LoRA merges re-embed with USE-lite on every score: a quarter of the demo keeps that test short.
 */
async function miniFiles(): Promise<File[]> {
  const demo = await loadDemoDatasetNode();
  const qrels = demo.qrels.test;
  const queries = demo.queries.filter((q) => qrels.has(q.id)).slice(0, 12);
  const judged = new Set(queries.flatMap((q) => [...qrels.get(q.id)!.keys()]));
  const docs = [...demo.docs.filter((d) => judged.has(d.id)), ...demo.docs.filter((d) => !judged.has(d.id))];
  const lines = (rows: object[]) => rows.map((r) => JSON.stringify(r)).join('\n') + '\n';
  const tsv = queries.flatMap((q) => [...qrels.get(q.id)!].map(([d, g]) => `${q.id}\t${d}\t${g}`));
  return [
    new File(
      [lines(docs.slice(0, 60).map((d) => ({ _id: d.id, title: d.title, text: d.text })))],
      'corpus.jsonl',
    ),
    new File([lines(queries.map((q) => ({ _id: q.id, text: q.text })))], 'queries.jsonl'),
    new File([`query-id\tcorpus-id\tscore\n${tsv.join('\n')}\n`], 'test.tsv'),
  ];
}

/** Random rank-`rank` LoRA experts over USE-lite (every linear), stored; returns their ids. */
async function saveLoraExperts(
  db: ReturnType<typeof setup>['db'],
  idPrefix: string,
  namePrefix: string,
  seeds: number[],
  rank: number,
): Promise<string[]> {
  const use = await loadUseLite(nodeAssetFetcher());
  const cfg = { ...DEFAULT_LORA, rank, alpha: 2 * rank };
  const ids: string[] = [];
  for (const seed of seeds) {
    const id = `${idPrefix}-${seed}`;
    const rec = adapterExpertRecord({
      id,
      name: `${namePrefix}${seed}`,
      method: 'lora',
      baseModel: 'use-lite',
      config: { ...defaultTrainConfig('lora'), lora: cfg },
      templates: use.templates,
    });
    const w = randomPeft(selectModules(use.linears, cfg.targetModules), cfg, seed, 0.05);
    await saveExpert(
      rec,
      [...w].map(([name, t]) => ({ name, shape: t.shape, data: t.data })),
      await db(),
    );
    ids.push(id);
  }
  return ids;
}

function recipe(
  method: string,
  ids: string[],
  weights: number[],
  over: Partial<MergeRecipe> = {},
): MergeRecipe {
  return {
    method,
    baseModel: 'glove',
    experts: ids.map((id, i) => ({ id, name: `e${i}`, params: { weight: weights[i], density: 0.5 } })),
    options: {},
    ...over,
  };
}

async function twoExperts() {
  const s = setup();
  await s.client.request('init', { baseUrl: 'http://localhost/', backend: 'cpu' });
  await s.client.request('load-demo', {});
  await s.client.request('train', { spec: spec('A', 1, 2e-2), backend: 'cpu' });
  await s.client.request('train', { spec: spec('B', 2, 1e-2), backend: 'cpu' });
  const experts = await s.client.request('list-experts', {});
  return { ...s, ids: experts.map((e) => e.id) };
}

describe('merge feature (worker)', () => {
  it('scores adapter merges on a cached dev pool: the base and each expert alone are reproduced, weights move the score, DARE has a spread, a saved merge keeps its recipe and evaluates', async () => {
    const { client, ids } = await twoExperts();
    const [a, b] = ids;
    const built = await client.request('merge-pools', {
      baseModel: 'glove',
      experts: ids,
      pools,
      backend: 'cpu',
    });
    expect(built).toHaveLength(1);
    const p = built[0];
    expect(p).toMatchObject({ dataset: 'demo', split: 'test', k: 100, queries: 48, corpus: 240 });
    // judged docs ∪ three models' top-100 of 240: more than one model's top-100, at most the corpus
    expect(p.docs).toBeGreaterThan(100);
    expect(p.docs).toBeLessThanOrEqual(240);
    expect(Object.keys(p.experts).sort()).toEqual([...ids].sort());
    const ndcg = (s: { 'ndcg@10': number }) => s['ndcg@10'];
    expect(ndcg(p.base)).toBeGreaterThan(0);
    expect(ndcg(p.experts[a])).not.toBeCloseTo(ndcg(p.base), 4);

    // task arithmetic with weights (1, 0) is expert A alone; (0, 0) is the base
    const onlyA = await client.request('merge-score', {
      recipe: recipe('task_arithmetic', ids, [1, 0]),
      pools,
      backend: 'cpu',
    });
    expect(onlyA.pools[0]).toEqual(p);
    expect(ndcg(onlyA.merged[0])).toBeCloseTo(ndcg(p.experts[a]), 5);
    expect(onlyA.merged[0]['recall@100']).toBeCloseTo(p.experts[a]['recall@100'], 5);
    const none = await client.request('merge-score', {
      recipe: recipe('task_arithmetic', ids, [0, 0]),
      pools,
      backend: 'cpu',
    });
    expect(ndcg(none.merged[0])).toBeCloseTo(ndcg(p.base), 5);
    const onlyB = await client.request('merge-score', {
      recipe: recipe('task_arithmetic', ids, [0, 1]),
      pools,
      backend: 'cpu',
    });
    expect(ndcg(onlyB.merged[0])).toBeCloseTo(ndcg(p.experts[b]), 5);
    expect(onlyB.ms).toBeGreaterThan(0);

    // DARE: the spread over seeds; the recipe's own seed is one of them
    const dare = await client.request('merge-score', {
      recipe: recipe('dare_linear', ids, [1, 1], { options: { seed: 3 } }),
      pools,
      backend: 'cpu',
      spreadSeeds: [3, 4, 5],
    });
    expect(dare.spread?.seeds).toEqual([3, 4, 5]);
    expect(dare.spread?.ndcg10).toHaveLength(3);
    expect(dare.spread?.ndcg10[0][0]).toBe(ndcg(dare.merged[0]));
    // a deterministic method has no spread
    const ties = await client.request('merge-score', {
      recipe: recipe('ties', ids, [0.5, 0.5]),
      pools,
      backend: 'cpu',
      spreadSeeds: [0, 1, 2],
    });
    expect(ties.spread).toBeUndefined();

    const saved = await client.request('merge-save', {
      recipe: recipe('ties', ids, [0.5, 0.5], { options: { lambda: 0.8 } }),
      name: 'A+B ties',
      backend: 'cpu',
    });
    expect(saved.merge).toMatchObject({ method: 'ties', options: { lambda: 0.8 } });
    expect(saved).toMatchObject({ name: 'A+B ties', baseModel: 'glove', method: 'adapter' });
    const listed = await client.request('list-experts', {});
    expect(listed.find((e) => e.id === saved.id)?.merge?.experts.map((e) => e.id)).toEqual(ids);
    // the same name again is made unique
    const again = await client.request('merge-save', {
      recipe: recipe('ties', ids, [0.5, 0.5]),
      name: 'A+B ties',
      backend: 'cpu',
    });
    expect(again.name).toBe('A+B ties (2)');
    // the full evaluation is the Evaluate tab's: the saved merge is a model like any expert
    const run = await client.request('evaluate', {
      dataset: 'demo',
      split: 'test',
      retriever: { model: `expert:${saved.id}` },
      backend: 'cpu',
    });
    const full = run.report.metrics['ndcg@10'];
    expect(full).toBeGreaterThan(0);
    // the pool leaves out only documents no model ranked and nobody judged: it can only flatter the merge
    const live = await client.request('merge-score', {
      recipe: recipe('ties', ids, [0.5, 0.5], { options: { lambda: 0.8 } }),
      pools,
      backend: 'cpu',
    });
    expect(ndcg(live.merged[0])).toBeGreaterThanOrEqual(full - 1e-9);
    // and it merges again (a merge of a merge) on the same pools
    const meta = await client.request('merge-score', {
      recipe: recipe('linear', [saved.id, a], [1, 1]),
      pools,
      backend: 'cpu',
    });
    expect(meta.merged[0]['ndcg@10']).toBeGreaterThan(0);
  }, 240_000);

  it('refuses experts of other bases or methods, unknown experts and LoRA over a base LoRA cannot run on', async () => {
    const { client, db, ids } = await twoExperts();
    const lora = adapterExpertRecord({
      id: 'lora1',
      name: 'a LoRA',
      method: 'lora',
      baseModel: 'glove',
    });
    const other = adapterExpertRecord({ id: 'use1', name: 'over USE', baseModel: 'use-lite' });
    const w = [{ name: 'adapter.W', shape: [1], data: new Float32Array(1) }];
    await saveExpert(lora, w, await db());
    await saveExpert(other, w, await db());
    await expect(
      client.request('merge-score', {
        recipe: recipe('ties', [ids[0], 'use1'], [1, 1]),
        pools,
        backend: 'cpu',
      }),
    ).rejects.toThrow(/different base models \("glove" and "use-lite"\)/);
    await expect(
      client.request('merge-save', {
        recipe: recipe('ties', [ids[0], 'lora1'], [1, 1]),
        name: 'x',
        backend: 'cpu',
      }),
    ).rejects.toThrow(/trained by different methods/);
    const loraOnly = { ...recipe('ties', ['lora1'], [1]) };
    await expect(
      client.request('merge-save', { recipe: loraOnly, name: 'x', backend: 'cpu' }),
    ).rejects.toThrow(/their base "glove" is not a model LoRA runs on/);
    await expect(
      client.request('merge-score', {
        recipe: recipe('ties', [ids[0], 'gone'], [1, 1]),
        pools,
        backend: 'cpu',
      }),
    ).rejects.toMatchObject({ name: 'ExpertNotFoundError' });
    await expect(
      client.request('merge-score', {
        recipe: recipe('ties', [ids[0], ids[0]], [1, 1]),
        pools,
        backend: 'cpu',
      }),
    ).rejects.toThrow(/names expert "e0" twice/);
    await expect(
      client.request('merge-score', { recipe: recipe('ties', ids, [1, 1]), pools: [], backend: 'cpu' }),
    ).rejects.toThrow('merge-score needs pools: a non-empty list of { dataset, split }');
    // an expert deleted after a merge used it is gone for the next one too (its weights were held)
    await client.request('merge-score', { recipe: recipe('ties', ids, [1, 1]), pools, backend: 'cpu' });
    await client.request('delete-expert', { expert: ids[1] });
    await expect(
      client.request('merge-score', { recipe: recipe('ties', ids, [1, 1]), pools, backend: 'cpu' }),
    ).rejects.toMatchObject({ name: 'ExpertNotFoundError' });
    // nothing was stored by the refused requests
    expect((await client.request('list-experts', {})).map((e) => e.name).sort()).toEqual(
      ['A', 'a LoRA', 'over USE'].sort(),
    );
  }, 240_000);

  it('merges LoRA experts over USE-lite: folded weights re-embed the pool; one expert at weight 1 scores as itself; a save keeps the recipe', async () => {
    const s = setup();
    await s.client.request('init', { baseUrl: 'http://localhost/', backend: 'cpu' });
    await s.client.request('import-dataset', { files: await miniFiles(), name: 'mini' });
    const ids = await saveLoraExperts(s.db, 'lora', 'L', [1, 2], 4);
    const lp = [{ dataset: 'mini', split: 'test' }];
    // a small pool (judged ∪ each model's top 10): every merge re-embeds it with the folded LoRA weights
    const K = 10;
    const [p] = await s.client.request('merge-pools', {
      baseModel: 'use-lite',
      experts: ids,
      pools: lp,
      k: K,
      backend: 'cpu',
    });
    const lr = (m: string, w: number[]): MergeRecipe => ({ ...recipe(m, ids, w), baseModel: 'use-lite' });
    const onlyA = await s.client.request('merge-score', {
      recipe: lr('task_arithmetic', [1, 0]),
      pools: lp,
      k: K,
      backend: 'cpu',
    });
    expect(onlyA.merged[0]['ndcg@10']).toBeCloseTo(p.experts[ids[0]]['ndcg@10'], 4);
    const none = await s.client.request('merge-score', {
      recipe: lr('task_arithmetic', [0, 0]),
      pools: lp,
      k: K,
      backend: 'cpu',
    });
    expect(none.merged[0]['ndcg@10']).toBeCloseTo(p.base['ndcg@10'], 4);
    const saved = await s.client.request('merge-save', {
      recipe: lr('ties', [0.5, 0.5]),
      name: 'LoRA merge',
      backend: 'cpu',
    });
    expect(saved.method).toBe('lora');
    expect(saved.merge?.method).toBe('ties');
  }, 400_000);

  it('exports a saved merge of LoRA experts as PEFT files (merge-lora-out): full rank keeps all energy, a lower rank less', async () => {
    const s = setup();
    await s.client.request('init', { baseUrl: 'http://localhost/', backend: 'cpu' });
    const ids = await saveLoraExperts(s.db, 'lo', 'LO', [3, 4], 2);
    // task arithmetic of two rank-2 LoRAs: every merged ΔW has rank ≤ 4
    const saved = await s.client.request('merge-save', {
      recipe: { ...recipe('task_arithmetic', ids, [0.7, 0.4]), baseModel: 'use-lite' },
      name: 'LoRA sum',
      backend: 'cpu',
    });
    const use = await loadUseLite(nodeAssetFetcher());
    const modules = selectModules(use.linears, DEFAULT_LORA.targetModules);
    const full = await s.client.request('merge-lora-out', { expert: saved.id, rank: 4 });
    expect(full.modules.map((m) => m.path).sort()).toEqual(modules.map((m) => m.path).sort());
    for (const m of full.modules) {
      expect(m.rank).toBeLessThanOrEqual(4);
      expect(m.energy).toBeGreaterThan(0.9999);
    }
    expect(full.files.map((f) => f.name).sort()).toEqual(
      ['LoRA_sum/adapter_config.json', 'LoRA_sum/adapter_model.safetensors', 'LoRA_sum/expert.json'].sort(),
    );
    const config = JSON.parse(
      new TextDecoder().decode(full.files.find((f) => f.name.endsWith('adapter_config.json'))!.data),
    ) as { r: number; peft_type: string; target_modules: string[] };
    expect(config.peft_type).toBe('LORA');
    expect(config.r).toBe(4);
    // the PEFT weights are a lora_A / lora_B pair per module, rank 4
    const { parseExpertWeights } = await import('../../../experts/files');
    const st = parseExpertWeights(
      full.files.find((f) => f.name.endsWith('adapter_model.safetensors'))!.data,
      'adapter_model.safetensors',
    );
    expect(st.size).toBe(2 * modules.length);
    for (const [name, t] of st) if (name.endsWith('lora_A.weight')) expect(t.shape[0]).toBe(4);
    const cut = await s.client.request('merge-lora-out', { expert: saved.id, rank: 1 });
    const mean = (r: typeof cut) => r.modules.reduce((a, m) => a + m.energy, 0) / r.modules.length;
    expect(mean(cut)).toBeLessThan(0.99);
    expect(mean(cut)).toBeGreaterThan(0.2);
    for (const m of cut.modules) expect(m.rank).toBe(1);
    // a LoRA expert that is not a merge, and a bad rank, are refused
    await expect(s.client.request('merge-lora-out', { expert: ids[0], rank: 4 })).rejects.toThrow(
      /"LO3" is not a saved merge of LoRA experts/,
    );
    await expect(s.client.request('merge-lora-out', { expert: saved.id, rank: 0 })).rejects.toThrow(
      /rank must be an integer in 1\.\.1024/,
    );
  }, 400_000);
});
