/**
 * Writes tiny random Hugging Face models with independent ONNX exports of the same weights, for parity tests:
 *   <outDir>/tiny-bert/   config.json, model.safetensors, tokenizer.json, tokenizer_config.json, onnx/model.onnx
 *   <outDir>/tiny-qwen3/  config.json, generation_config.json, model.safetensors, tokenizer.json,
 *                         tokenizer_config.json (with a ChatML chat_template), onnx/model.onnx (causal + padding
 *                         mask), onnx/model_bidirectional.onnx (padding only), onnx/model_lm.onnx (causal, logits)
 *   <outDir>/tiny-gemma/, tiny-gemma2/, tiny-phi3/  (scripts/onnx/tiny-decoders.ts) the same files but the
 *                         generation config; onnx/model.onnx, model_bidirectional.onnx, model_lm.onnx
 *   <outDir>/tiny-gemma-sharded/  tiny-gemma's weights as model.safetensors.index.json + 2 shards (no ONNX)
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
import {
  tinyDecoderConfig,
  tinyDecoderOnnx,
  tinyDecoderWeights,
  type TinyFamily,
} from './onnx/tiny-decoders';
import { encodeSafetensors, type WeightSet, type Weights } from './onnx/weights';

export const TINY_MODELS_DIR = resolve(
  dirname(fileURLToPath(import.meta.url)),
  '..',
  'test-assets',
  'tiny-models',
);

/** bump when the generated files change, so stale folders are regenerated */
export const TINY_MODELS_VERSION = 4;

interface ModelFiles {
  config: object;
  weights: WeightSet;
  tokenizer: { tokenizer: object; config: object };
  onnx: Record<string, Uint8Array>;
  generationConfig?: object;
  /** write the weights as this many shards + model.safetensors.index.json */
  shards?: number;
}

/** the weights split into n shards (tensors in order, about equal sizes) and their index */
function shardFiles(weights: Weights, n: number): Record<string, Uint8Array | object> {
  const names = [...weights.keys()];
  const total = names.reduce((a, k) => a + weights.get(k)!.data.length, 0);
  const parts: Weights[] = Array.from({ length: n }, () => new Map());
  let seen = 0;
  for (const k of names) {
    const t = weights.get(k)!;
    parts[Math.min(n - 1, Math.floor((seen * n) / total))].set(k, t);
    seen += t.data.length;
  }
  const file = (i: number) =>
    `model-${String(i + 1).padStart(5, '0')}-of-${String(n).padStart(5, '0')}.safetensors`;
  const out: Record<string, Uint8Array | object> = {};
  const weightMap: Record<string, string> = {};
  parts.forEach((p, i) => {
    out[file(i)] = encodeSafetensors(p);
    for (const k of p.keys()) weightMap[k] = file(i);
  });
  out['model.safetensors.index.json'] = { metadata: { total_size: total * 4 }, weight_map: weightMap };
  return out;
}

function writeModel(dir: string, m: ModelFiles): void {
  mkdirSync(join(dir, 'onnx'), { recursive: true });
  const json = (f: string, o: object) => writeFileSync(join(dir, f), JSON.stringify(o, null, 2) + '\n');
  json('config.json', m.config);
  if (m.generationConfig) json('generation_config.json', m.generationConfig);
  if (m.shards)
    for (const [f, v] of Object.entries(shardFiles(m.weights.map, m.shards)))
      if (v instanceof Uint8Array) writeFileSync(join(dir, f), v);
      else json(f, v);
  else writeFileSync(join(dir, 'model.safetensors'), encodeSafetensors(m.weights.map));
  json('tokenizer.json', m.tokenizer.tokenizer);
  json('tokenizer_config.json', m.tokenizer.config);
  for (const [name, bytes] of Object.entries(m.onnx)) writeFileSync(join(dir, 'onnx', name), bytes);
}

export const TINY_DECODER_FAMILIES: readonly TinyFamily[] = ['gemma', 'gemma2', 'phi3'];

/** Generates the models under outDir; returns the first two's folders. */
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
  for (const f of TINY_DECODER_FAMILIES) {
    const ws = tinyDecoderWeights(f);
    const files = { config: tinyDecoderConfig(f), weights: ws, tokenizer: tinyQwen3Tokenizer() };
    writeModel(join(outDir, `tiny-${f}`), {
      ...files,
      onnx: {
        'model.onnx': tinyDecoderOnnx(f, ws, true),
        'model_bidirectional.onnx': tinyDecoderOnnx(f, ws, false),
        'model_lm.onnx': tinyDecoderOnnx(f, ws, true, true),
      },
    });
    if (f === 'gemma') writeModel(join(outDir, 'tiny-gemma-sharded'), { ...files, onnx: {}, shards: 2 });
  }
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
