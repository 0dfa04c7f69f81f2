/** LoRA inside HfEmbedder models (tiny BERT, tiny Qwen3 with q/k norm and grouped-query attention, tiny Phi-3's fused
 * projections and partial longrope), CPU. Gemma / Gemma 2 training: lora-families.test.ts. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { TINY_MODELS_DIR } from '../../scripts/make-tiny-models';
import { createCpuBackend } from '../gpu/cpu';
import { randomF32, rng } from '../testing/backends';
import { HfEmbedder, type HfEmbedderOptions } from '../models/hf/embedder';
import { createLoraTrainable, loadLoraExpert, loraTargets } from './lora';
import { argMaxAbs, fdCheck, setParam, trackAllocations } from '../testing/lora-fixture';
import type { LoraConfig } from './types';

const json = (dir: string, f: string) =>
  JSON.parse(readFileSync(join(dir, f), 'utf8')) as Record<string, unknown>;
async function load(name: string, opts: HfEmbedderOptions = {}): Promise<HfEmbedder> {
  const dir = join(TINY_MODELS_DIR, name);
  const b = readFileSync(join(dir, 'model.safetensors'));
  const weights = b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer;
  return HfEmbedder.create(
    {
      config: json(dir, 'config.json'),
      tokenizer: json(dir, 'tokenizer.json'),
      tokenizerConfig: json(dir, 'tokenizer_config.json'),
      weights,
      source: dir,
    },
    opts,
  );
}

const TEXTS = ['the patient is in the cell', 'wind', 'heart rate and blood flow at rest', 'the cell', 'rate'];
const cfg: LoraConfig = { rank: 4, alpha: 8, dropout: 0, targetModules: 'all-linear' };
const maxDiff = (a: Float32Array, b: Float32Array) =>
  a.reduce((m, x, i) => Math.max(m, Math.abs(x - b[i])), 0);

const CASES: { name: string; model: string; opts: HfEmbedderOptions; first: string; count: number }[] = [
  {
    name: 'BERT, mean pooling',
    model: 'tiny-bert',
    opts: { batchSize: 2 },
    first: 'encoder.layer.0.attention.self.query',
    count: 12,
  },
  {
    name: 'BERT, CLS pooling',
    model: 'tiny-bert',
    opts: { pooling: 'cls', batchSize: 2 },
    first: 'encoder.layer.0.attention.self.query',
    count: 12,
  },
  {
    name: 'Qwen3, last token, bidirectional',
    model: 'tiny-qwen3',
    opts: { batchSize: 2 },
    first: 'layers.0.self_attn.q_proj',
    count: 14,
  },
  {
    name: 'Qwen3, mean, causal',
    model: 'tiny-qwen3',
    opts: { pooling: 'mean', attention: 'causal' },
    first: 'layers.0.self_attn.q_proj',
    count: 14,
  },
  {
    name: 'Phi-3 (fused qkv_proj / gate_up_proj, partial longrope), last token, bidirectional',
    model: 'tiny-phi3',
    opts: { batchSize: 2 },
    first: 'layers.0.self_attn.qkv_proj',
    count: 8,
  },
];

describe('LoRA on Hugging Face models (CPU)', () => {
  for (const c of CASES) {
    it(`${c.name}: B = 0 equals the base, FD check of the whole forward, PEFT round trip`, async () => {
      const be = createCpuBackend();
      const base = await load(c.model, c.opts);
      const targets = loraTargets(base, cfg);
      expect(targets).toHaveLength(c.count);
      expect(targets[0]).toBe(c.first);
      const lora = createLoraTrainable(base, be, cfg, 4);
      const want = await base.embed(be, TEXTS, 'query');
      // every activation is freed: forward + backward, forward + release, inference
      const live = trackAllocations(be);
      const t = await lora.forwardTrain(TEXTS, 'query', { training: true, seed: 1 });
      const dt = be.tensor(randomF32(t.emb.size, 2), t.emb.shape);
      t.backward(dt);
      be.dispose(dt, t.emb);
      const u = await lora.forwardTrain(TEXTS, 'query', { training: false, seed: 1 });
      u.release();
      be.dispose(u.emb);
      await lora.asEmbedder('l').embed(be, TEXTS, 'query');
      expect(live()).toEqual([]);
      for (const p of lora.params()) be.zero(p.grad);
      expect(maxDiff(await lora.asEmbedder('l').embed(be, TEXTS, 'query'), want)).toBeLessThanOrEqual(1e-6);
      const f = await lora.forwardTrain(TEXTS, 'query', { training: true, seed: 1 });
      expect(maxDiff(await be.readF32(f.emb), want)).toBeLessThanOrEqual(1e-6);
      f.release();

      lora.params().forEach((p, i) => {
        if (p.name.endsWith('lora_B.weight')) setParam(be, p, randomF32(p.value.size, 70 + i, -0.3, 0.3));
      });
      const texts = TEXTS.slice(0, 3);
      const r = randomF32(texts.length * base.dim, 6);
      const pick = rng(12);
      const { worst, rows } = await fdCheck(lora, be, texts, r, 1e-2, (g) => [
        Math.floor(pick() * g.length),
        argMaxAbs(g),
      ]);
      console.log(
        `LoRA FD ${c.name} (h 1e-2, ${rows.length} entries): worst rel ${worst.toExponential(2)}\n${rows.join('\n')}`,
      );
      expect(rows).toHaveLength(2 * 2 * c.count);
      expect(worst).toBeLessThan(1e-2);

      const out = await lora.exportWeights();
      const a0 = out.get(`base_model.model.${c.first}.lora_A.weight`)!;
      expect(a0.shape).toEqual([4, base.dim]);
      const expert = loadLoraExpert(base, out, cfg);
      const now = await lora.asEmbedder('x').embed(be, TEXTS, 'query');
      expect(maxDiff(await expert.embed(createCpuBackend(), TEXTS, 'query'), now)).toBeLessThanOrEqual(1e-6);
      expect(maxDiff(now, want)).toBeGreaterThan(1e-3);
    });
  }
});
