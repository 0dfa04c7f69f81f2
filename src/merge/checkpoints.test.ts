/** Plain checkpoints merged tensor by tensor into a safetensors file; a merged LoRA folded into an HF file. */
import { describe, expect, it } from 'vitest';
import { createCpuBackend } from '../gpu/cpu';
import { parseSafetensors, SafetensorsFile, writeSafetensors } from '../models/hf/safetensors';
import { randomF32 } from '../testing/backends';
import { randomPeft, tinyHf } from '../testing/lora-experts';
import { loadMergedLora } from '../train/lora-merged';
import { collectChunks, foldCheckpoint, mergeCheckpoints } from './checkpoints';
import { mergeLora } from './lora-merge';
import { mergeModels } from './registry';
import type { NamedTensor } from './types';

const NAMES: [string, number[]][] = [
  ['model.embed_tokens.weight', [10, 4]],
  ['model.layers.0.self_attn.q_proj.weight', [4, 4]],
  ['model.layers.0.mlp.up_proj.weight', [6, 4]],
  ['model.layers.1.self_attn.q_proj.weight', [4, 4]],
  ['model.layers.1.mlp.up_proj.weight', [6, 4]],
  ['model.norm.weight', [4]],
];

function checkpoint(seed: number): NamedTensor[] {
  return NAMES.map(([name, shape], i) => ({
    name,
    shape,
    data: randomF32(
      shape.reduce((a, b) => a * b, 1),
      seed * 100 + i,
    ),
  }));
}
const file = (ts: NamedTensor[], name: string) =>
  SafetensorsFile.open(writeSafetensors(new Map(ts.map((t) => [t.name, t]))), name);
const maxDiff = (a: Float32Array, b: Float32Array) =>
  a.reduce((m, x, i) => Math.max(m, Math.abs(x - b[i])), 0);

describe('mergeCheckpoints', () => {
  it('streams a ties merge of three safetensors files: same as mergeModels on the tensors, in the base order', async () => {
    const [base, a, b, c] = [0, 1, 2, 3].map(checkpoint);
    const models = [
      { weight: 0.5, density: 0.5 },
      { weight: 0.3, density: 0.7 },
      { weight: 1, density: 0.4 },
    ];
    const out = collectChunks();
    let seen = 0;
    const res = await mergeCheckpoints(
      'ties',
      file(base, 'base.safetensors'),
      [
        file(a, 'a.safetensors'),
        file(b, 'b.safetensors'),
        { file: 'c (memory)', tensors: new Map(c.map((t) => [t.name, t])) },
      ],
      models,
      { lambda: 0.9 },
      out.write,
      { onTensor: () => void seen++ },
    );
    expect(res.tensors).toBe(NAMES.length);
    expect(seen).toBe(NAMES.length);
    const buf = out.buffer();
    expect(buf.byteLength).toBe(res.bytes);
    const got = parseSafetensors(buf, 'merged.safetensors');
    expect([...got.keys()]).toEqual(NAMES.map(([n]) => n));
    const want = mergeModels('ties', base, [a, b, c], models, { lambda: 0.9 });
    for (const t of want) expect(got.get(t.name)!.data).toEqual(t.data);
  });

  it('per-layer weights (a gradient and a filter) and BF16 output', async () => {
    const [base, a] = [0, 1].map(checkpoint);
    const out = collectChunks();
    await mergeCheckpoints(
      'task_arithmetic',
      file(base, 'base.safetensors'),
      [file(a, 'a.safetensors')],
      [{ weight: 1 }],
      {},
      out.write,
      {
        perLayer: [{ weight: [{ filter: 'mlp', value: [0, 1] }, { value: 0.5 }] }],
        dtype: 'BF16',
      },
    );
    const f = SafetensorsFile.open(out.buffer(), 'merged.safetensors');
    expect(f.info('model.norm.weight').dtype).toBe('BF16');
    const at = (name: string, w: number) => {
      const bt = base.find((t) => t.name === name)!.data;
      const at_ = a.find((t) => t.name === name)!.data;
      return bt.map((x, j) => x + w * (at_[j] - x));
    };
    const close = (name: string, w: number) =>
      expect(maxDiff(f.get(name).data, at(name, w))).toBeLessThan(1e-2);
    close('model.layers.0.mlp.up_proj.weight', 0);
    close('model.layers.1.mlp.up_proj.weight', 1);
    close('model.layers.0.self_attn.q_proj.weight', 0.5);
    close('model.embed_tokens.weight', 0.5);
  });

  it('names the tensor and the file on a missing, extra or mis-shaped tensor, and writes nothing', async () => {
    const [base, a] = [0, 1].map(checkpoint);
    let wrote = 0;
    const w = () => void wrote++;
    const run = (x: NamedTensor[]) =>
      mergeCheckpoints(
        'task_arithmetic',
        file(base, 'base.safetensors'),
        [file(x, 'a.safetensors')],
        [{ weight: 1 }],
        {},
        w,
      );
    await expect(run(a.slice(1))).rejects.toThrow(
      /tensor "model.embed_tokens.weight" of base.safetensors is missing from a.safetensors/,
    );
    const bad = a.map((t) => (t.name === 'model.norm.weight' ? { ...t, shape: [2, 2] } : t));
    await expect(run(bad)).rejects.toThrow(
      /tensor "model.norm.weight" is \[2, 2\] in a.safetensors but \[4\] in base.safetensors/,
    );
    const extra = [...a, { name: 'lm_head.weight', shape: [2], data: new Float32Array(2) }];
    await expect(run(extra)).rejects.toThrow(
      /tensor "lm_head.weight" of a.safetensors is not in base.safetensors/,
    );
    await expect(
      mergeCheckpoints('ties', file(base, 'base.safetensors'), [file(a, 'a.safetensors')], [], {}, w),
    ).rejects.toThrow(/1 experts but 0 parameter sets/);
    expect(wrote).toBe(0);
  });
});

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
});
