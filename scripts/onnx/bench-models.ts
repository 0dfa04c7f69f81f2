/**
 * The bench's full-size random models: a MiniLM-L6-shaped BERT and a Qwen3-0.6B-shaped decoder, each
 * written as a Hugging Face folder (config.json, tokenizer.json, tokenizer_config.json, safetensors —
 * sharded under 1 GiB per file, as save_pretrained does) and as ONNX of the same weights with external data
 * (onnx/model.onnx + onnx/model.onnx.data[.N], each data file under 1 GiB: the Qwen3 shape is 2.4 GB of f32,
 * over protobuf's 2 GiB limit). Weights are seeded N(0, 0.02) (norm scales N(1, 0.01)), so activations stay
 * sane over 28 layers; the tokenizers come from bench-vocab.ts. Generated once into a cache folder (never
 * committed, never by tests: tests build the same code at the tiny shapes) and reused while its stamp matches.
 */
import {
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readFileSync,
  rmSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import type { ExternalSink } from './graph';
import { bpeVocab, wordPieceVocab } from './bench-vocab';
import {
  TINY_BERT_CONFIG,
  tinyBertOnnx,
  tinyBertTokenizer,
  tinyBertWeights,
  type BertShape,
} from './tiny-bert';
import {
  TINY_QWEN3_CONFIG,
  tinyQwen3Onnx,
  tinyQwen3Tokenizer,
  tinyQwen3Weights,
  type Qwen3Shape,
} from './tiny-qwen3';
import type { Weights } from './weights';

/** bump when the generated files change */
export const BENCH_MODELS_VERSION = 1;
const SHARD_BYTES = 2 ** 30;
const STD = 0.02;

/** sentence-transformers/all-MiniLM-L6-v2's shape */
export const MINILM_SHAPE: BertShape = {
  ...TINY_BERT_CONFIG,
  vocab_size: 30522,
  hidden_size: 384,
  num_hidden_layers: 6,
  num_attention_heads: 12,
  intermediate_size: 1536,
  max_position_embeddings: 512,
  initializer_range: STD,
};

/** Qwen/Qwen3-0.6B's shape (positions cut to 1024: the bench's texts are far shorter) */
export const QWEN3_06B_SHAPE: Qwen3Shape = {
  ...TINY_QWEN3_CONFIG,
  vocab_size: 151936,
  hidden_size: 1024,
  num_hidden_layers: 28,
  num_attention_heads: 16,
  num_key_value_heads: 8,
  head_dim: 128,
  intermediate_size: 3072,
  max_position_embeddings: 1024,
  rope_theta: 1000000,
  eos_token_id: 0,
  pad_token_id: 0,
};

export type BenchModelKind = 'minilm' | 'qwen3';

export interface BenchModel {
  /** the Hugging Face folder (the ONNX export is under onnx/) */
  readonly dir: string;
  /** ONNX external data files: name (as model.onnx refers to it) and path */
  readonly externalData: { path: string; data: string }[];
}

/** writes each tensor's bytes straight to the file (no copy of the whole model in memory) */
function writeSafetensorsFile(file: string, weights: Weights, names: readonly string[]): void {
  const header: Record<string, unknown> = { __metadata__: { format: 'pt' } };
  let offset = 0;
  for (const n of names) {
    const t = weights.get(n)!;
    header[n] = { dtype: 'F32', shape: t.shape, data_offsets: [offset, offset + t.data.byteLength] };
    offset += t.data.byteLength;
  }
  const raw = new TextEncoder().encode(JSON.stringify(header));
  const hdr = new Uint8Array(raw.length + ((8 - (raw.length % 8)) % 8)).fill(0x20);
  hdr.set(raw);
  const len = new Uint8Array(8);
  new DataView(len.buffer).setBigUint64(0, BigInt(hdr.length), true);
  const fd = openSync(file, 'w');
  try {
    writeSync(fd, len);
    writeSync(fd, hdr);
    for (const n of names) {
      const d = weights.get(n)!.data;
      writeSync(fd, new Uint8Array(d.buffer, d.byteOffset, d.byteLength));
    }
  } finally {
    closeSync(fd);
  }
}

/** model.safetensors, or shards of at most SHARD_BYTES + model.safetensors.index.json */
export function writeSafetensors(dir: string, weights: Weights, shardBytes = SHARD_BYTES): void {
  const shards: string[][] = [[]];
  let size = 0;
  for (const [n, t] of weights) {
    if (size > 0 && size + t.data.byteLength > shardBytes) {
      shards.push([]);
      size = 0;
    }
    shards[shards.length - 1].push(n);
    size += t.data.byteLength;
  }
  if (shards.length === 1) return writeSafetensorsFile(join(dir, 'model.safetensors'), weights, shards[0]);
  const weightMap: Record<string, string> = {};
  shards.forEach((names, i) => {
    const file = `model-${String(i + 1).padStart(5, '0')}-of-${String(shards.length).padStart(5, '0')}.safetensors`;
    writeSafetensorsFile(join(dir, file), weights, names);
    for (const n of names) weightMap[n] = file;
  });
  const total = [...weights.values()].reduce((a, t) => a + t.data.byteLength, 0);
  writeFileSync(
    join(dir, 'model.safetensors.index.json'),
    JSON.stringify({ metadata: { total_size: total }, weight_map: weightMap }, null, 2) + '\n',
  );
}

/** An external-data sink writing model.onnx.data, model.onnx.data.1, ... (each at most SHARD_BYTES). */
export function externalDataFiles(onnxDir: string, shardBytes = SHARD_BYTES) {
  const files: { path: string; data: string }[] = [];
  let fd = -1;
  let offset = 0;
  const sink: ExternalSink = (bytes) => {
    if (fd < 0 || (offset > 0 && offset + bytes.byteLength > shardBytes)) {
      if (fd >= 0) closeSync(fd);
      const name = files.length === 0 ? 'model.onnx.data' : `model.onnx.data.${files.length}`;
      files.push({ path: name, data: join(onnxDir, name) });
      fd = openSync(join(onnxDir, name), 'w');
      offset = 0;
    }
    const at = offset;
    for (let p = 0; p < bytes.byteLength;) p += writeSync(fd, bytes, p, bytes.byteLength - p);
    offset += bytes.byteLength;
    return { location: files[files.length - 1].path, offset: at, length: bytes.byteLength };
  };
  const close = () => {
    if (fd >= 0) closeSync(fd);
    fd = -1;
  };
  return { sink, files, close };
}

export interface Generated {
  config: object;
  tokenizer: { tokenizer: object; config: object };
  weights: Weights;
  onnx: (sink: ExternalSink) => Uint8Array;
}

/** a BERT of shape `c` with a WordPiece vocabulary from `texts` (bidirectional last_hidden_state ONNX) */
export function bertModelFiles(texts: readonly string[], c: BertShape = MINILM_SHAPE): Generated {
  const ws = tinyBertWeights(1234, STD, c);
  return {
    config: c,
    tokenizer: tinyBertTokenizer(wordPieceVocab(texts, c.vocab_size), c.max_position_embeddings),
    weights: ws.map,
    onnx: (sink) => tinyBertOnnx(ws, c, sink, 'bench-bert'),
  };
}

/** a Qwen3 of shape `c` with a byte-level BPE from `texts` (bidirectional last_hidden_state ONNX, as STM embeds) */
export function qwen3ModelFiles(
  texts: readonly string[],
  shape: Qwen3Shape = QWEN3_06B_SHAPE,
  maxTokens = 100_000,
): Generated {
  const v = bpeVocab(texts, Math.min(maxTokens, shape.vocab_size));
  const c = { ...shape, eos_token_id: v.eosId, pad_token_id: v.eosId };
  const ws = tinyQwen3Weights(4321, STD, c);
  return {
    config: c,
    tokenizer: tinyQwen3Tokenizer(v, c.max_position_embeddings),
    weights: ws.map,
    onnx: (sink) => tinyQwen3Onnx(ws, false, false, c, sink),
  };
}

/** Writes one model folder (HF files + onnx/) under `dir`, replacing what was there. */
export function writeBenchModel(dir: string, g: Generated, shardBytes = SHARD_BYTES): BenchModel {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(join(dir, 'onnx'), { recursive: true });
  const json = (f: string, o: object) => writeFileSync(join(dir, f), JSON.stringify(o, null, 2) + '\n');
  json('config.json', g.config);
  json('tokenizer.json', g.tokenizer.tokenizer);
  json('tokenizer_config.json', g.tokenizer.config);
  writeSafetensors(dir, g.weights, shardBytes);
  const ext = externalDataFiles(join(dir, 'onnx'), shardBytes);
  try {
    writeFileSync(join(dir, 'onnx', 'model.onnx'), g.onnx(ext.sink));
  } finally {
    ext.close();
  }
  json(
    'onnx/external-data.json',
    ext.files.map((f) => f.path),
  );
  return { dir, externalData: ext.files };
}

/** The default cache folder: $STM_BENCH_MODELS, else node_modules/.cache/stm-bench. */
export function benchCacheDir(): string {
  return process.env.STM_BENCH_MODELS ?? join(process.cwd(), 'node_modules', '.cache', 'stm-bench');
}

/**
 * The model folder of `kind` under `cacheDir`, generated on first use (minutes for the Qwen3 shape)
 * and reused while its stamp (generator version + a hash of the vocabulary texts) matches.
 */
export function ensureBenchModel(
  kind: BenchModelKind,
  texts: readonly string[],
  cacheDir = benchCacheDir(),
  log: (s: string) => void = () => {},
): BenchModel {
  const dir = join(cacheDir, kind);
  const hash = createHash('sha256');
  for (const t of texts) hash.update(t).update('\0');
  const stamp = `${BENCH_MODELS_VERSION} ${hash.digest('hex')}`;
  const stampFile = join(dir, 'STAMP');
  if (existsSync(stampFile) && readFileSync(stampFile, 'utf8').trim() === stamp) {
    const names = JSON.parse(readFileSync(join(dir, 'onnx', 'external-data.json'), 'utf8')) as string[];
    return { dir, externalData: names.map((n) => ({ path: n, data: join(dir, 'onnx', n) })) };
  }
  log(`generating the ${kind} bench model (seeded random weights) into ${dir} ...`);
  const m = writeBenchModel(dir, kind === 'minilm' ? bertModelFiles(texts) : qwen3ModelFiles(texts));
  writeFileSync(stampFile, `${stamp}\n`);
  return m;
}
