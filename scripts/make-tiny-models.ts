/**
 * Writes tiny random Hugging Face models with independent ONNX exports of the same weights, for parity tests:
 *   <outDir>/tiny-bert/   config.json, model.safetensors, tokenizer.json, tokenizer_config.json, onnx/model.onnx
 *   <outDir>/tiny-qwen3/  config.json, generation_config.json, model.safetensors, tokenizer.json,
 *                         tokenizer_config.json (with a ChatML chat_template), onnx/model.onnx (causal + padding
 *                         mask), onnx/model_bidirectional.onnx (padding only), onnx/model_lm.onnx (causal, logits)
 * Deterministic: seeded weights, so two runs write identical bytes.
 * CLI: `npx tsx scripts/make-tiny-models.ts [outDir]` (default test-assets/tiny-models).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { tinyBertConfig, tinyBertOnnx, tinyBertTokenizer, tinyBertWeights } from './onnx/tiny-bert';
import {
  tinyQwen3Config,
  tinyQwen3GenerationConfig,
  tinyQwen3Onnx,
  tinyQwen3Tokenizer,
  tinyQwen3Weights,
} from './onnx/tiny-qwen3';
import { encodeSafetensors, type WeightSet } from './onnx/weights';

export const TINY_MODELS_DIR = resolve(
  dirname(fileURLToPath(import.meta.url)),
  '..',
  'test-assets',
  'tiny-models',
);

/** bump when the generated files change, so stale folders are regenerated */
export const TINY_MODELS_VERSION = 3;

interface ModelFiles {
  config: object;
  weights: WeightSet;
  tokenizer: { tokenizer: object; config: object };
  onnx: Record<string, Uint8Array>;
  generationConfig?: object;
}

function writeModel(dir: string, m: ModelFiles): void {
  mkdirSync(join(dir, 'onnx'), { recursive: true });
  const json = (f: string, o: object) => writeFileSync(join(dir, f), JSON.stringify(o, null, 2) + '\n');
  json('config.json', m.config);
  if (m.generationConfig) json('generation_config.json', m.generationConfig);
  writeFileSync(join(dir, 'model.safetensors'), encodeSafetensors(m.weights.map));
  json('tokenizer.json', m.tokenizer.tokenizer);
  json('tokenizer_config.json', m.tokenizer.config);
  for (const [name, bytes] of Object.entries(m.onnx)) writeFileSync(join(dir, 'onnx', name), bytes);
}

/** Generates both models under outDir; returns their folders. */
export function makeTinyModels(outDir: string = TINY_MODELS_DIR): { bert: string; qwen3: string } {
  const bert = join(outDir, 'tiny-bert');
  const bw = tinyBertWeights();
  writeModel(bert, {
    config: tinyBertConfig(),
    weights: bw,
    tokenizer: tinyBertTokenizer(),
    onnx: { 'model.onnx': tinyBertOnnx(bw) },
  });

  const qwen3 = join(outDir, 'tiny-qwen3');
  const qw = tinyQwen3Weights();
  writeModel(qwen3, {
    config: tinyQwen3Config(),
    weights: qw,
    tokenizer: tinyQwen3Tokenizer(),
    generationConfig: tinyQwen3GenerationConfig(),
    onnx: {
      'model.onnx': tinyQwen3Onnx(qw, true),
      'model_bidirectional.onnx': tinyQwen3Onnx(qw, false),
      'model_lm.onnx': tinyQwen3Onnx(qw, true, true),
    },
  });
  writeFileSync(join(outDir, 'VERSION'), `${TINY_MODELS_VERSION}\n`);
  return { bert, qwen3 };
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const out = resolve(process.argv[2] ?? TINY_MODELS_DIR);
  const t0 = performance.now();
  const dirs = makeTinyModels(out);
  console.log(
    `tiny models written to ${dirs.bert} and ${dirs.qwen3} in ${(performance.now() - t0).toFixed(0)} ms`,
  );
}
