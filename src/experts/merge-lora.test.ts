/** Merged LoRA experts: merge, record, files round trip and expertEmbedder (tiny USE-lite, CPU). */
import { describe, expect, it } from 'vitest';
import { createCpuBackend } from '../gpu/cpu';
import type { MergeRecipe } from '../merge/recipe';
import { randomPeft, tinyHf } from '../testing/lora-experts';
import { collectChunks } from '../merge/checkpoints';
import { SafetensorsFile } from '../models/hf/safetensors';
import { tinyUseLite } from '../testing/lora-fixture';
import { defaultTrainConfig } from '../train/defaults';
import { loadMergedLora } from '../train/lora-merged';
import { weightsToDeltas } from '../train/lora-deltas';
import type { LoraConfig } from '../train/types';
import { expertEmbedder } from './embedder';
import { EXPERT_JSON, expertFiles, LORA_DELTA_FILE, PEFT_CONFIG, PEFT_WEIGHTS, readExpert } from './files';
import {
  loraOutExpert,
  mergedLoraCheckpoint,
  mergedExpertRecord,
  mergeLoraExperts,
  type LoadedExpert,
} from './merge';
import type { ExpertRecord } from './record';

const TEXTS = ['the cat sat on the mat', 'heart attack', 'blood pressure flow on the wing', 'lift'];
const cfg: LoraConfig = { rank: 3, alpha: 6, dropout: 0, targetModules: 'all-linear' };
const maxDiff = (a: Float32Array, b: Float32Array) =>
  a.reduce((m, x, i) => Math.max(m, Math.abs(x - b[i])), 0);

function loraExpert(i: number, model: ReturnType<typeof tinyUseLite>): LoadedExpert {
  const config = { ...defaultTrainConfig('lora'), lora: cfg };
  const record: ExpertRecord = {
    id: `e${i}`,
    name: `Expert ${i}`,
    baseModel: 'use-lite',
    method: 'lora',
    config,
    data: { source: 'pairs.jsonl', pairs: 10 + i, negatives: 'mined:1' },
    templates: { query: '{text}', passage: '{title}\n{text}' },
    createdAt: '2026-01-01T00:00:00.000Z',
    history: [],
  };
  return { record, weights: randomPeft(model.linears, cfg, 40 + i) };
}

const recipe = (ws: number[], method = 'ties'): MergeRecipe => ({
  method,
  baseModel: 'use-lite',
  experts: ws.map((w, i) => ({ id: `e${i}`, name: `Expert ${i}`, params: { weight: w, density: 0.6 } })),
  options: {},
});

async function roundTrip(files: Map<string, string | ArrayBuffer>) {
  return readExpert(async (n) => {
    const f = files.get(n);
    if (f === undefined) return null;
    return typeof f === 'string' ? (new TextEncoder().encode(f).buffer as ArrayBuffer) : f;
  });
}

describe('merged LoRA experts', () => {
  it('merge of 3 by ties: record, merged_delta.safetensors round trip, expertEmbedder runs the folded model', async () => {
    const model = tinyUseLite();
    const be = createCpuBackend();
    const ex = [0, 1, 2].map((i) => loraExpert(i, model));
    const r = recipe([0.5, 0.3, 0.7]);
    const weights = await mergeLoraExperts(r, ex, model);
    const rec = mergedExpertRecord(
      r,
      ex.map((e) => e.record),
      'Merged',
      'm1',
      '2026-02-02T00:00:00.000Z',
    );
    expect(rec.method).toBe('lora');
    expect(rec.merge).toBe(r);
    expect(rec.data.pairs).toBe(33);
    const files = expertFiles(rec, weights);
    expect([...files.keys()].sort()).toEqual([EXPERT_JSON, LORA_DELTA_FILE]);
    const back = await roundTrip(files);
    expect(back.record).toEqual(JSON.parse(JSON.stringify(rec)));
    expect([...back.weights.keys()]).toEqual([...weights.keys()]);
    for (const [n, w] of weights) expect(back.weights.get(n)!.data).toEqual(w.data);
    const want = await loadMergedLora(model, weightsToDeltas(weights, model.linears)).embed(
      be,
      TEXTS,
      'query',
    );
    const got = await expertEmbedder(model, back.record, back.weights, 'expert:m1').embed(be, TEXTS, 'query');
    expect(maxDiff(got, want)).toBe(0);
    const base = await model.embed(be, TEXTS, 'query');
    expect(maxDiff(got, base)).toBeGreaterThan(1e-3);
  });

  it('one expert by task_arithmetic weight 1, saved and reloaded, embeds as the expert itself', async () => {
    const model = tinyUseLite();
    const be = createCpuBackend();
    const e = loraExpert(0, model);
    const r = recipe([1], 'task_arithmetic');
    const weights = await mergeLoraExperts(r, [e], model);
    const rec = mergedExpertRecord(r, [e.record], 'One', 'm2', '2026-02-02T00:00:00.000Z');
    const back = await roundTrip(expertFiles(rec, weights));
    const got = await expertEmbedder(model, back.record, back.weights, 'm').embed(be, TEXTS, 'query');
    const want = await expertEmbedder(model, e.record, e.weights, 'e').embed(be, TEXTS, 'query');
    expect(maxDiff(got, want)).toBeLessThanOrEqual(1e-5);
  });

  it('refuses mixed methods, a merged expert as input, and a delta file holding other tensors', async () => {
    const model = tinyUseLite();
    const e = loraExpert(0, model);
    const adapter = { ...e, record: { ...e.record, method: 'adapter' as const, name: 'Ad' } };
    await expect(mergeLoraExperts(recipe([1, 1]), [e, adapter], model)).rejects.toThrow(/different methods/);
    const weights = await mergeLoraExperts(recipe([1], 'task_arithmetic'), [e], model);
    const merged = { record: { ...e.record, name: 'M' }, weights };
    await expect(mergeLoraExperts(recipe([1, 1]), [e, merged], model)).rejects.toThrow(
      /"M" is itself a merge/,
    );
    const rec = mergedExpertRecord(recipe([1]), [e.record], 'X', 'x', '2026-02-02T00:00:00.000Z');
    const files = expertFiles(rec, weights);
    // PEFT A/B tensors (same write stamp) in the delta file's place
    files.set(LORA_DELTA_FILE, expertFiles(rec, e.weights).get('adapter_model.safetensors')!);
    await expect(roundTrip(files)).rejects.toThrow(
      /merged_delta.safetensors: holds tensors that are not merged deltas/,
    );
  });

  it('LoRA out: a 3-expert merge as PEFT files by truncated SVD; full rank embeds as the merge, a cut keeps less energy', async () => {
    const model = tinyUseLite();
    const be = createCpuBackend();
    const ex = [0, 1, 2].map((i) => loraExpert(i, model));
    const r = recipe([0.5, 0.3, 0.7], 'task_arithmetic');
    const weights = await mergeLoraExperts(r, ex, model);
    const rec = mergedExpertRecord(
      r,
      ex.map((e) => e.record),
      'Merged',
      'm3',
      '2026-02-02T00:00:00.000Z',
    );
    const merged = { record: rec, weights };
    const want = await expertEmbedder(model, rec, weights, 'm').embed(be, TEXTS, 'query');
    // Σ of three rank-3 deltas has rank ≤ 9: r = 9 keeps everything
    const full = loraOutExpert(merged, model, { rank: 9 });
    expect(full.record.config.lora.rank).toBe(9);
    for (const m of full.modules) expect(m.energy).toBeCloseTo(1, 6);
    const files = expertFiles(full.record, full.weights);
    expect([...files.keys()].sort()).toEqual([PEFT_CONFIG, PEFT_WEIGHTS, EXPERT_JSON].sort());
    expect(JSON.parse(files.get(PEFT_CONFIG) as string)).toMatchObject({
      r: 9,
      lora_alpha: 9,
      peft_type: 'LORA',
    });
    const back = await roundTrip(files);
    expect(back.record.merge).toEqual(r);
    const got = await expertEmbedder(model, back.record, back.weights, 'o').embed(be, TEXTS, 'query');
    expect(maxDiff(got, want)).toBeLessThanOrEqual(1e-5);
    // rank 2: less energy on every module with rank > 2, vectors move away from the merge
    const cut = loraOutExpert(merged, model, { rank: 2 });
    expect(cut.record.config.lora.rank).toBe(2);
    for (const m of cut.modules) {
      expect(m.rank).toBe(2);
      expect(m.energy).toBeLessThan(1);
      expect(m.energy).toBeGreaterThan(0.3);
      expect(m.firstDropped).toBeGreaterThan(0);
    }
    const gotCut = await expertEmbedder(model, cut.record, cut.weights, 'c').embed(be, TEXTS, 'query');
    expect(maxDiff(gotCut, want)).toBeGreaterThan(1e-4);
    // threshold: per-module ranks differ, r is the largest, others padded with zeros
    const th = loraOutExpert(merged, model, { threshold: 0.05 });
    const ranks = th.modules.map((m) => m.rank);
    expect(th.record.config.lora.rank).toBe(Math.max(...ranks));
    expect(() => loraOutExpert(ex[0], model, { rank: 2 })).toThrow(/is not a merged LoRA expert/);
  });

  it('full export of a merged LoRA over tiny BERT: the base file with W + ΔW, which embeds as the merge', async () => {
    const { model } = await tinyHf('tiny-bert');
    const be = createCpuBackend();
    const ex = [0, 1].map((i) => {
      const e = loraExpert(i, model as never);
      return {
        ...e,
        record: { ...e.record, baseModel: 'tiny-bert' },
        weights: randomPeft(model.linears, cfg, 60 + i),
      };
    });
    const r = { ...recipe([0.6, 0.4], 'task_arithmetic'), baseModel: 'tiny-bert' };
    const weights = await mergeLoraExperts(r, ex, model);
    const rec = mergedExpertRecord(
      r,
      ex.map((e) => e.record),
      'M',
      'm4',
      '2026-02-02T00:00:00.000Z',
    );
    const out = collectChunks();
    const res = await mergedLoraCheckpoint({ record: rec, weights }, model, out.write);
    expect(res.folded).toBe(model.linears.length);
    expect(SafetensorsFile.open(out.buffer(), 'x').names).toEqual(model.weightFile.src.names);
    const { model: again } = await tinyHf('tiny-bert', 2, out.buffer());
    const texts = ['the patient is in the cell', 'wind'];
    const want = await expertEmbedder(model, rec, weights, 'm').embed(be, texts, 'query');
    expect(maxDiff(await again.embed(be, texts, 'query'), want)).toBeLessThanOrEqual(1e-5);
    await expect(mergedLoraCheckpoint(ex[0], model, out.write)).rejects.toThrow(
      /is not a merged LoRA expert/,
    );
  });
});
