/**
 * LoRA on the Gemma, Gemma 2 and Phi-3 decoders (tiny generated checkpoints, CPU): training steps lower the
 * InfoNCE loss; Phi-3's fused qkv_proj / gate_up_proj are LoRA modules of their own (PEFT's names), short
 * names of their slices select those rows (lora-slices.test.ts); two tiny-phi3 experts merge on the fused matrices and the merge embeds
 * as the experts' weighted ΔW says.
 */
import { describe, expect, it } from 'vitest';
import { createCpuBackend } from '../gpu/cpu';
import { randomPeft, tinyHf } from '../testing/lora-experts';
import { loraDelta, loraModulesOf, mergeLora } from '../merge/lora-merge';
import type { MergeRecipe } from '../merge/recipe';
import { createLoraTrainable, loadLoraExpert, loraTargets } from './lora';
import { loadMergedLora } from './lora-merged';
import { fusedTargetNotes } from './lora-modules';
import { defaultTrainConfig } from './defaults';
import { trainRun } from './trainer';
import type { LoraConfig, TrainingPair } from './types';

const WORDS = [
  'heart',
  'cell',
  'wind',
  'water',
  'pressure',
  'patient',
  'rest',
  'wing',
  'blood',
  'rate',
  'the',
];
const pairs: TrainingPair[] = Array.from({ length: 16 }, (_, i) => ({
  query: `${WORDS[i % 11]} ${WORDS[(i * 3) % 11]}`,
  positive: `the ${WORDS[i % 11]} and ${WORDS[(i * 3) % 11]} at ${WORDS[(i * 5) % 11]}`,
  negatives: [`${WORDS[(i + 4) % 11]} ${WORDS[(i * 7 + 2) % 11]}`],
}));
const templates = { query: '{text}', passage: '{text}' };
const maxDiff = (a: Float32Array, b: Float32Array) =>
  a.reduce((m, x, i) => Math.max(m, Math.abs(x - b[i])), 0);

describe('LoRA on gemma, gemma2, phi3 (CPU)', () => {
  it.each(['gemma', 'gemma2', 'phi3'])('tiny-%s: training steps lower the loss', async (f) => {
    const { model } = await tinyHf(`tiny-${f}`, 8);
    const lora: LoraConfig = { rank: 4, alpha: 8, dropout: 0, targetModules: 'all-linear' };
    const trainable = createLoraTrainable(model, createCpuBackend(), lora, 3);
    const { history } = await trainRun({
      runId: f,
      trainable,
      pairs,
      config: {
        ...defaultTrainConfig('lora'),
        lora,
        steps: 12,
        batchSize: 8,
        warmupSteps: 1,
        lr: 5e-3,
        checkpointEvery: 0,
      },
      templates,
    });
    const first = history.slice(0, 2).reduce((s, h) => s + h.loss, 0);
    const last = history.slice(-2).reduce((s, h) => s + h.loss, 0);
    console.log(`tiny-${f} LoRA loss: ${history.map((h) => h.loss.toFixed(3)).join(' ')}`);
    expect(history.every((h) => Number.isFinite(h.loss) && h.gradNorm > 0)).toBe(true);
    expect(last).toBeLessThan(first * 0.9);
    trainable.dispose();
  });

  it("phi3's fused linears: PEFT paths, slice names select their rows (with a note)", async () => {
    const { model } = await tinyHf('tiny-phi3');
    const paths = model.linears.map((m) => m.path);
    expect(paths.slice(0, 4)).toEqual([
      'layers.0.self_attn.qkv_proj',
      'layers.0.self_attn.o_proj',
      'layers.0.mlp.gate_up_proj',
      'layers.0.mlp.down_proj',
    ]);
    expect(model.linears[0]).toMatchObject({ inDim: 32, outDim: 64 }); // q 32 | k 16 | v 16
    expect(model.linears[2]).toMatchObject({ inDim: 32, outDim: 128 }); // gate 64 | up 64
    const cfg: LoraConfig = {
      rank: 2,
      alpha: 4,
      dropout: 0,
      targetModules: ['q_proj', 'self_attn.v_proj', 'up_proj'],
    };
    // slice names adapt those rows of the fused matrix (an adapter per slice); the fused names adapt it whole
    expect(loraTargets(model, cfg)).toEqual([
      'layers.0.self_attn.q_proj',
      'layers.0.self_attn.v_proj',
      'layers.0.mlp.up_proj',
      'layers.1.self_attn.q_proj',
      'layers.1.self_attn.v_proj',
      'layers.1.mlp.up_proj',
    ]);
    expect(loraTargets(model, { ...cfg, targetModules: ['qkv_proj'] })).toEqual([
      'layers.0.self_attn.qkv_proj',
      'layers.1.self_attn.qkv_proj',
    ]);
    expect(fusedTargetNotes(model.linears, cfg.targetModules)).toEqual([
      'LoRA: "q_proj" is rows 0–31 of the fused qkv_proj (64 rows) in this model: its adapter covers those rows only (B [r, 32])',
      'LoRA: "self_attn.v_proj" is rows 48–63 of the fused qkv_proj (64 rows) in this model: its adapter covers those rows only (B [r, 16])',
      'LoRA: "up_proj" is rows 64–127 of the fused gate_up_proj (128 rows) in this model: its adapter covers those rows only (B [r, 64])',
    ]);
    // on a model with q_proj itself nothing is remapped
    const { model: gemma } = await tinyHf('tiny-gemma');
    expect(loraTargets(gemma, { ...cfg, targetModules: ['q_proj'] })[0]).toBe('layers.0.self_attn.q_proj');
    expect(() => loraTargets(model, { ...cfg, targetModules: ['x_proj'] })).toThrow(
      /matches no linear layer/,
    );
  });

  it('two tiny-phi3 experts merge on the fused tensors: linear merge = the weighted mean of their ΔW', async () => {
    const { model } = await tinyHf('tiny-phi3');
    const be = createCpuBackend();
    const cfg: LoraConfig = { rank: 3, alpha: 6, dropout: 0, targetModules: 'all-linear' };
    const ex = [0, 1].map((i) => ({
      name: `E${i}`,
      config: cfg,
      weights: randomPeft(model.linears, cfg, 40 + i),
    }));
    const recipe: MergeRecipe = {
      method: 'linear',
      baseModel: 'tiny-phi3',
      experts: [1, 3].map((w, i) => ({ id: `e${i}`, name: `E${i}`, params: { weight: w } })),
      options: {},
    };
    const deltas = await mergeLora(recipe, ex, model);
    expect([...deltas.keys()]).toEqual(model.linears.map((m) => m.path));
    const qkv = model.linears[0];
    expect(deltas.get(qkv.path)!.length).toBe(qkv.outDim * qkv.inDim);
    for (const m of model.linears) {
      const [da, db] = ex.map((e) => {
        const p = loraModulesOf(e, model.linears).get(m.path)!;
        return loraDelta(p.a, p.b, p.rank, m, 2);
      });
      expect(
        maxDiff(
          deltas.get(m.path)!,
          da.map((x, j) => (x + 3 * db[j]) / 4),
        ),
      ).toBeLessThan(1e-6);
    }
    const texts = ['the patient in the cell', 'heart', 'wind and water at rest'];
    const merged = await loadMergedLora(model, deltas).embed(be, texts, 'query');
    const base = await model.embed(be, texts, 'query');
    expect(maxDiff(merged, base)).toBeGreaterThan(1e-3);
    // one expert at weight 1 merges into exactly that expert
    const one = await mergeLora({ ...recipe, experts: [recipe.experts[0]] }, [ex[0]], model);
    const want = await loadLoraExpert(model, ex[0].weights, cfg).embed(be, texts, 'query');
    expect(maxDiff(await loadMergedLora(model, one).embed(be, texts, 'query'), want)).toBeLessThan(1e-5);
  });
});
