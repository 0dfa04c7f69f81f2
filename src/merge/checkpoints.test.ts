/** LoRA out as a full model: a merged LoRA folded into the base's own HF safetensors file. */
import { describe, expect, it } from 'vitest';
import { createCpuBackend } from '../gpu/cpu';
import { SafetensorsFile } from '../models/hf/safetensors';
import { randomPeft, tinyHf } from '../testing/lora-experts';
import { loadMergedLora } from '../train/lora-merged';
import { collectChunks, foldCheckpoint } from './checkpoints';
import { mergeLora } from './lora-merge';

const maxDiff = (a: Float32Array, b: Float32Array) =>
  a.reduce((m, x, i) => Math.max(m, Math.abs(x - b[i])), 0);

describe('foldCheckpoint (LoRA out as a full HF model)', () => {
  it('tiny BERT: the folded model.safetensors embeds as the merged LoRA model; other tensors copied', async () => {
    const { model } = await tinyHf('tiny-bert');
    const cfg = { rank: 2, alpha: 4, dropout: 0, targetModules: 'all-linear' as const };
    const ex = [0, 1].map((i) => ({
      name: `E${i}`,
      config: cfg,
      weights: randomPeft(model.linears, cfg, 5 + i),
    }));
    const deltas = await mergeLora(
      {
        method: 'ties',
        baseModel: 'tiny-bert',
        experts: ex.map((e, i) => ({
          id: e.name,
          name: e.name,
          params: { weight: 0.6 + 0.2 * i, density: 0.7 },
        })),
        options: {},
      },
      ex,
      model,
    );
    const out = collectChunks();
    const { src, prefix } = model.weightFile;
    const res = await foldCheckpoint(src, prefix, deltas, out.write);
    expect(res.folded).toBe(model.linears.length);
    const buf = out.buffer();
    const folded = SafetensorsFile.open(buf, 'folded.safetensors');
    expect(folded.names).toEqual(src.names);
    expect(folded.get(`${prefix}embeddings.word_embeddings.weight`).data).toEqual(
      src.get(`${prefix}embeddings.word_embeddings.weight`).data,
    );
    const { model: again } = await tinyHf('tiny-bert', 2, buf);
    const be = createCpuBackend();
    const texts = ['the patient is in the cell', 'wind', 'heart rate and blood flow at rest'];
    const want = await loadMergedLora(model, deltas).embed(be, texts, 'query');
    const got = await again.embed(be, texts, 'query');
    expect(maxDiff(got, want)).toBeLessThanOrEqual(1e-5);
    expect(maxDiff(got, await model.embed(be, texts, 'query'))).toBeGreaterThan(1e-3);
  });

  it('names the missing or mis-shaped weight of a merged module', async () => {
    const { model } = await tinyHf('tiny-bert');
    const { src, prefix } = model.weightFile;
    const out = collectChunks();
    await expect(
      foldCheckpoint(
        src,
        prefix,
        new Map([['encoder.layer.9.output.dense', new Float32Array(4)]]),
        out.write,
      ),
    ).rejects.toThrow(/has no tensor ".*encoder.layer.9.output.dense.weight" for the merged module/);
    const m = model.linears[0];
    await expect(
      foldCheckpoint(src, prefix, new Map([[m.path, new Float32Array(3)]]), out.write),
    ).rejects.toThrow(/the merged ΔW has 3 values/);
  });
});
