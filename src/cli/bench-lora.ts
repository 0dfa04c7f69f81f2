/**
 * LoRA training throughput on the Qwen3-0.6B shape (the bench's random model, scripts/onnx/bench-models.ts):
 * rank 16 / alpha 32 on every linear (196 of them), InfoNCE over query + positive + 1 negative with in-batch
 * negatives, backward, clipping, AdamW — steps/s on the CPU path and on WebGPU, same pairs (medquad
 * train.jsonl, texts cut short), same run. The weights are uploaded by an untimed warm-up embed first.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ensureBenchModel } from '../../scripts/onnx/bench-models';
import type { Backend } from '../core/backend';
import { sharedDatasetsDir } from '../data/node';
import type { Dataset } from '../data/types';
import { acquireBackend } from '../gpu/select';
import { loadHfModel } from '../models/hf/load';
import { parseTrainingPairsFile } from '../train/data';
import { defaultTrainConfig } from '../train/defaults';
import { createLoraTrainable } from '../train/lora';
import { trainRun } from '../train/trainer';
import type { TrainingPair } from '../train/types';
import { type BenchOptions, isSoftwareGpu, webgpuIsEmulated } from './bench-args';
import { recordFigure } from './bench-report';
import { row, time } from './bench-util';

const env = (k: string, d: number) => Number(process.env[k] ?? d);

async function pairs(n: number, chars: number): Promise<TrainingPair[]> {
  const file = join(sharedDatasetsDir(), 'medquad', 'train.jsonl');
  const all = parseTrainingPairsFile(await readFile(file), file).slice(0, Math.max(n, 2));
  const cut = (s: string) => s.slice(0, chars);
  return all.map((p, i) => ({
    query: cut(p.query),
    positive: cut(p.positive),
    negatives: [cut(all[(i + 1) % all.length].positive)],
  }));
}

export async function benchLoraQwen3(dataset: Dataset, opts: BenchOptions): Promise<void> {
  if (!opts.wants('cpu') && (await webgpuIsEmulated()) !== false) {
    console.log('\nLoRA training on the Qwen3-0.6B shape: skipped, no real GPU here (CPU-emulated or none)');
    return;
  }
  const vocabTexts = [...dataset.queries.map((q) => q.text), ...dataset.docs.map((d) => d.text)];
  const m = ensureBenchModel('qwen3', vocabTexts, undefined, console.log);
  const maxTokens = env('STM_BENCH_LORA_TOKENS', 24);
  const model = await loadHfModel(m.dir, { maxTokens });
  const plan = {
    cpu: {
      batch: Math.max(2, env('STM_BENCH_LORA_CPU_BATCH', 2)),
      steps: env('STM_BENCH_LORA_CPU_STEPS', 1),
    },
    webgpu: {
      batch: Math.max(2, env('STM_BENCH_LORA_GPU_BATCH', 4)),
      steps: env('STM_BENCH_LORA_GPU_STEPS', 3),
    },
  };
  console.log(
    `\nLoRA training on the Qwen3-0.6B shape: r16/alpha 32 on all ${model.linears.length} linears, ` +
      `texts cut to 80 chars / ${maxTokens} tokens (query + positive + 1 negative per pair)`,
  );
  console.log(row(['path', 'batch', 'steps', 'steps/s', 'pairs/s']));
  for (const pref of ['cpu', 'webgpu'] as const) {
    if (!opts.wants(pref)) continue;
    let backend: Backend;
    try {
      backend = await acquireBackend(pref);
    } catch (e) {
      console.log(row([`${pref}: unavailable`, (e as Error).message]));
      continue;
    }
    const label = `${backend.kind} (${backend.label})`.slice(0, 33);
    const soft = isSoftwareGpu(backend);
    if (soft) {
      // SwiftShader runs the studio's kernels at well under 1 GFLOP/s: one step here is ~100 GFLOP
      console.log(row([label, 'skipped: CPU-emulated GPU (one step would take about an hour)']));
      backend.destroy();
      continue;
    }
    const p = plan[pref];
    const data = await pairs(p.batch * p.steps, 80);
    const config = {
      ...defaultTrainConfig('lora'),
      steps: p.steps,
      batchSize: p.batch,
      warmupSteps: 0,
      checkpointEvery: 0,
      devEvery: 0,
    };
    try {
      await model.embed(backend, ['warm-up'], 'query'); // uploads the frozen weights
      const trainable = createLoraTrainable(model, backend, config.lora, 1);
      const t = await time(() =>
        trainRun({ runId: 'bench', trainable, pairs: data, config, templates: model.templates }),
      );
      trainable.dispose();
      const sps = p.steps / t.s;
      recordFigure(`lora_steps_per_s_${pref}`, sps);
      console.log(row([label, p.batch, p.steps, sps.toFixed(sps < 1 ? 4 : 2), (sps * p.batch).toFixed(3)]));
    } catch (e) {
      console.log(row([`${label}: failed`, (e as Error).message.slice(0, 200)]));
    }
    model.release(backend);
    backend.destroy();
  }
}
