import { parseArgs, type ParseArgsConfig } from 'node:util';
import { parseSplitSpec, SplitError, type SplitPart } from '../data/split';
import { WEIGHT_FORMATS, type WeightFormatChoice } from '../models/hf/fit';
import { parseTargetList } from '../train/lora-targets';
import type { LoraConfig } from '../train/types';

export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/** Node's strict option parser, its complaints (unknown option, missing value) as usage errors. */
export function strictOptions<O extends NonNullable<ParseArgsConfig['options']>>(argv: string[], options: O) {
  try {
    return parseArgs({ args: argv, strict: true, options }).values;
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
}

export const USAGE = `usage: npm run stm -- <command> [options]

commands:
  eval    retrieve for every judged query of a split and print trec_eval-style metrics
          --dataset <dir|demo>      BEIR folder (corpus.jsonl, queries.jsonl, qrels/<split>.tsv; .gz ok) or "demo"
          --retriever dense|bm25|hybrid  default dense; hybrid: BM25 + --model fused per query
          --model <id|folder|org/name>  dense model (default use-lite; glove; a model folder; a hub id);
                                    hybrid needs it given
          --fusion rrf|wsum         hybrid: reciprocal-rank fusion, k = 60 (default), or the weighted sum
                                    of min-max normalised scores, --alpha dense + (1 - alpha) BM25
          --alpha <x>               wsum's dense weight in [0, 1] (default 0.5; implies --fusion wsum)
          --split <name>            qrels split (default test)
          --backend auto|cpu|webgpu compute backend for dense retrieval (default auto: WebGPU on a
                                    hardware GPU, else the CPU; webgpu also uses a software GPU)
          --k1 <x> --b <x>          BM25 parameters (default 1.5, 0.75)
          --depth <n>               ranked list depth (default 1000, at most 1024)
          --run <file>              write a TREC run file (qid Q0 docid rank score tag)
          --results-dir <dir>       write MTEB's results JSON, <dir>/<dataset>.json (scores under the split)
          --cache-dir <dir>         corpus embeddings on disk, <dir>/<model>/<dataset>-<fingerprint>.*
                                    (default $STM_CACHE_DIR, else ~/.cache/stm/embeddings); a repeated
                                    evaluation, or an adapter expert over a cached base, embeds no documents
          --no-cache                neither read nor write the embedding cache
          --json                    print one JSON object with the metrics on the last line; for an
                                    expert it holds "overlap_queries": how many evaluated queries it
                                    was trained on (a warning on stderr when > 0; null when its
                                    expert.json predates the record; absent for BM25 and base models)
          --allow-network           an expert folder whose base model is a hub id or URL may download it
          --prompt none|default|<k>|"<text>"|each  the queries' instruction (dense): none; the model's or
                                    expert's default; an expert's k-th training instruction (1-based); your
                                    own (in the model's instruction format, else the paper's
                                    "{instruction}\\nQuery: {text}");
                                    each: no prompt, then each of its instructions, one line each (--json:
                                    {"prompts":[{"prompt", "ndcg@10", ...}], ...}); documents embedded once
  split   deal the judged queries of one split into new disjoint splits (seeded) and write a BEIR folder
          --dataset <dir>           source BEIR folder (never changed)
          --from <split>            the qrels split to deal (default test)
          --into <name:f,...>       new splits and fractions summing to 1, e.g. train:0.6,dev:0.2,test:0.2;
                                    sizes by largest remainder (floor(f*n), leftovers to the largest remainders)
          --seed <n>                (default 42)
          --out <dir>               a new or empty folder: corpus and queries copied, qrels/<name>.tsv per split
          --json                    print {"from","seed","queries","splits":{name: queries}} on the last line
  embed   embed texts (one per line of --input) and print them as JSON
          --model <id|folder|org/name>  built-in id, a local model folder (onnx:<folder> runs its ONNX
                                    export in onnxruntime-web), or a hub id (default use-lite)
          --input <file>            UTF-8 text file, one text per line (blank lines kept as empty texts)
          --role query|passage      template applied before embedding (default passage)
          --backend auto|cpu|webgpu (default auto)
          --weights auto|f32|f16|q8 Hugging Face models: linear weights' format (default auto: f16 on
                                    WebGPU, f32 on the CPU; q8: int8 per output row)
          --gpu-memory <GiB>        refuse, before downloading, a model whose weights exceed this
          --json                    print {"model","dim","embeddings":[[...],...]} on the last line
          --allow-network           as for eval
  train   train an expert (an embedding-space adapter or LoRA) with InfoNCE and write its folder
          --base <id|folder>        base model (default use-lite; a model, not an expert folder)
          --train <pairs.jsonl|dir> {query, positive, negatives?} or MedQuAD's {_id, query, positive, source};
                                    or a BEIR folder: its --train-split judged queries x relevant docs
          --train-split <name>      the BEIR folder's qrels split to train on (default train)
          --method adapter|lora     adapter: any model, trained on frozen base embeddings (default adapter)
          --adapter lowrank|full    adapter form (default lowrank)
          --negatives mined:<n>|given|none  hard negatives: mined among the pairs' positives with the base
                                    model (default mined:1), the pairs' own, or in-batch only
          --mine-range <a>:<b>      mining window of the ranking (default 0:50)
          --mine-margin <x>         relative margin: negative <= positive * (1 - x) (default none)
          --rank <r>                LoRA / low-rank adapter rank (default 16; --lora-rank is the same)
          --lora-targets <list>     LoRA: all-linear (default) or PEFT module patterns, comma-separated
                                    (q_proj,v_proj; query,value for BERT); on Phi-3 a slice name (q_proj,
                                    up_proj) adapts those rows of the fused qkv_proj / gate_up_proj
          --steps <n> | --epochs <x>  optimiser steps (default 1 epoch)
          --batch <n>               pairs per batch (default 32)
          --lr <x>                  learning rate (default 1e-3 adapter, 1e-4 LoRA)
          --warmup <n>              warm-up steps, capped at 10% of the steps (default 100)
          --max-pairs <n>           seeded sample of the training pairs
          --seed <n>                (default 42)
          --backend auto|cpu|webgpu (default auto)
          --dev <beir dir>          dev nDCG@10 every --dev-every steps (default 100) on --dev-split (default dev)
          --dev-max-queries <n>     first n judged dev queries
          --cache <file>            base-embedding cache on disk (adapters; reused across runs)
          --out <dir>               expert folder (default experts/<base>-<method>-<time>)
          --checkpoint-every <n>    write <out>/checkpoint.{json,safetensors} every n steps (default 0: never)
          --resume                  continue from <out>/checkpoint.* (same command line), bit-for-bit
          --prompts none|gp:<n>|<file.txt>  query instructions: none (default); GP-n, one of n generic
                                    instructions drawn per query; or a file, one instruction per line
                                    (# comments; one line: always it; several: one drawn per query).
                                    The expert uses the first by default; passages never get one
          --prompt-format <tpl>     where the instruction goes, with {instruction} and {text} (default the
                                    base's own, else "{instruction}\\nQuery: {text}", the paper's)
  synth   write pseudo-queries for a corpus (no LLM, no labels) as training pairs for \`stm train --train\`
          --dataset <dir|demo>      folder with corpus.jsonl(.gz) (queries and qrels not needed, not used)
          --method ict|title        ict: a sentence is the query, the document without it the positive;
                                    title: the title (when any), then tf-idf key-phrase queries
          --per-doc <n>             queries per document, at most (default 1)
          --query-words <a>:<b>     query length in words (default 4:20)
          --min-doc-words <n>       skip shorter documents (default 30)
          --negatives none|mined:<n>  hard negatives mined from the corpus with --model, the positive's own
                                    document excluded (default none)
          --model <id|folder>       embedder for mining (default use-lite)
          --mine-range <a>:<b>      mining window of the ranking (default 0:50)
          --backend auto|cpu|webgpu (default auto)
          --seed <n>                (default 42)
          --out <file|->            JSONL, one {query, positive[, negatives]} per line ("-": stdout)
          --json                    print {"dataset","method","docs","pairs",...} on the last line
  models  list the models the studio knows`;

export function oneOf<T extends string>(name: string, v: string, allowed: readonly T[]): T {
  if (!(allowed as readonly string[]).includes(v))
    throw new UsageError(`--${name} must be one of ${allowed.join('|')}, got "${v}"`);
  return v as T;
}

export function num(name: string, v: string, min: number, max: number): number {
  const x = Number(v);
  if (!Number.isFinite(x) || x < min || x > max)
    throw new UsageError(`--${name} must be a number in [${min}, ${max}], got "${v}"`);
  return x;
}

export interface SplitArgs {
  dataset: string;
  from: string;
  into: SplitPart[];
  seed: number;
  out: string;
  json: boolean;
}

export function parseSplitArgs(argv: string[]): SplitArgs {
  const v = strictOptions(argv, {
    dataset: { type: 'string' },
    from: { type: 'string', default: 'test' },
    into: { type: 'string' },
    seed: { type: 'string', default: '42' },
    out: { type: 'string' },
    json: { type: 'boolean', default: false },
  });
  if (!v.dataset) throw new UsageError('split needs --dataset <dir>');
  if (!v.into)
    throw new UsageError('split needs --into <name:fraction,...>, e.g. train:0.6,dev:0.2,test:0.2');
  if (!v.out) throw new UsageError('split needs --out <dir> (a new or empty folder)');
  let into: SplitPart[];
  try {
    into = parseSplitSpec(v.into);
  } catch (e) {
    if (e instanceof SplitError) throw new UsageError(`--into: ${e.message}`);
    throw e;
  }
  return {
    dataset: v.dataset,
    from: v.from!,
    into,
    seed: Math.round(num('seed', v.seed!, 0, 2 ** 32 - 1)),
    out: v.out,
    json: v.json!,
  };
}

export interface EmbedArgs {
  model: string;
  input: string;
  role: 'query' | 'passage';
  backend: 'auto' | 'cpu' | 'webgpu';
  json: boolean;
  allowNetwork: boolean;
  /** Hugging Face models: the linear weights' format */
  weights: WeightFormatChoice;
  /** GiB the model's weights may take on a WebGPU device (the fit check before a download) */
  gpuMemory?: number;
}

export function parseEmbedArgs(argv: string[]): EmbedArgs {
  const v = strictOptions(argv, {
    model: { type: 'string', default: 'use-lite' },
    input: { type: 'string' },
    role: { type: 'string', default: 'passage' },
    backend: { type: 'string', default: 'auto' },
    json: { type: 'boolean', default: false },
    'allow-network': { type: 'boolean', default: false },
    weights: { type: 'string', default: 'auto' },
    'gpu-memory': { type: 'string' },
  });
  if (!v.input) throw new UsageError('embed needs --input <file>');
  return {
    model: v.model!,
    input: v.input,
    role: oneOf('role', v.role!, ['query', 'passage'] as const),
    backend: oneOf('backend', v.backend!, ['auto', 'cpu', 'webgpu'] as const),
    json: v.json!,
    allowNetwork: v['allow-network']!,
    weights: oneOf('weights', v.weights!, WEIGHT_FORMATS),
    ...(v['gpu-memory'] !== undefined && { gpuMemory: positiveNumber('gpu-memory', v['gpu-memory']) }),
  };
}

/** A number > 0 (e.g. GiB). */
export function positiveNumber(name: string, v: string): number {
  const n = Number(v);
  if (!(Number.isFinite(n) && n > 0)) throw new UsageError(`--${name} must be a number > 0, got "${v}"`);
  return n;
}

export interface TrainArgs {
  base: string;
  train: string;
  trainSplit: string;
  method: 'adapter' | 'lora';
  adapter: 'lowrank' | 'full';
  negatives: { kind: 'mined'; n: number } | { kind: 'given' } | { kind: 'none' };
  mineRange: [number, number];
  mineMargin: number | null;
  rank: number;
  /** LoRA target_modules: 'all-linear' or PEFT patterns */
  loraTargets: LoraConfig['targetModules'];
  steps?: number;
  epochs?: number;
  batch: number;
  lr?: number;
  warmup: number;
  maxPairs?: number;
  seed: number;
  backend: 'auto' | 'cpu' | 'webgpu';
  dev?: string;
  devSplit: string;
  devEvery: number;
  devMaxQueries?: number;
  cache?: string;
  out?: string;
  checkpointEvery: number;
  resume: boolean;
  allowNetwork: boolean;
  /** none | gp:<n> | a file of instructions (src/prompts/policy-file.ts) */
  prompts: string;
  promptFormat?: string;
}

function parseNegatives(v: string): TrainArgs['negatives'] {
  if (v === 'none' || v === 'given') return { kind: v };
  const m = /^mined:(\d+)$/.exec(v);
  if (!m || Number(m[1]) < 1)
    throw new UsageError(`--negatives must be mined:<n> (n >= 1), given or none, got "${v}"`);
  return { kind: 'mined', n: Number(m[1]) };
}

export function parseTrainArgs(argv: string[]): TrainArgs {
  const str = (def?: string) => ({ type: 'string' as const, ...(def === undefined ? {} : { default: def }) });
  const v = strictOptions(argv, {
    base: str('use-lite'),
    train: str(),
    'train-split': str('train'),
    method: str('adapter'),
    adapter: str('lowrank'),
    negatives: str('mined:1'),
    'mine-range': str('0:50'),
    'mine-margin': str(),
    rank: str('16'),
    'lora-rank': str(),
    'lora-targets': str('all-linear'),
    steps: str(),
    epochs: str(),
    batch: str('32'),
    lr: str(),
    warmup: str('100'),
    'max-pairs': str(),
    seed: str('42'),
    backend: str('auto'),
    dev: str(),
    'dev-split': str('dev'),
    'dev-every': str('100'),
    'dev-max-queries': str(),
    cache: str(),
    out: str(),
    'checkpoint-every': str('0'),
    resume: { type: 'boolean', default: false },
    'allow-network': { type: 'boolean', default: false },
    prompts: str('none'),
    'prompt-format': str(),
  });
  if (!v.train) throw new UsageError('train needs --train <pairs.jsonl>');
  const fmt = v['prompt-format'];
  if (fmt !== undefined && !(fmt.includes('{instruction}') && fmt.includes('{text}')))
    throw new UsageError(`--prompt-format needs both {instruction} and {text}, got "${fmt}"`);
  if (v.resume && !v.out)
    throw new UsageError('--resume needs --out <dir> (the folder holding the checkpoint)');
  const range = /^(\d+):(\d+)$/.exec(v['mine-range']!);
  if (!range || Number(range[2]) <= Number(range[1]))
    throw new UsageError(`--mine-range must be <a>:<b> with b > a, got "${v['mine-range']}"`);
  const int = (name: string, x: string, min: number, max: number) => Math.round(num(name, x, min, max));
  return {
    base: v.base!,
    train: v.train,
    trainSplit: v['train-split']!,
    method: oneOf('method', v.method!, ['adapter', 'lora'] as const),
    adapter: oneOf('adapter', v.adapter!, ['lowrank', 'full'] as const),
    negatives: parseNegatives(v.negatives!),
    mineRange: [Number(range[1]), Number(range[2])],
    mineMargin: v['mine-margin'] === undefined ? null : num('mine-margin', v['mine-margin'], 0, 1),
    rank: int('rank', v['lora-rank'] ?? v.rank!, 1, 4096),
    loraTargets: (() => {
      try {
        return parseTargetList(v['lora-targets']!);
      } catch (e) {
        throw new UsageError(`--lora-targets: ${(e as Error).message}`);
      }
    })(),
    steps: v.steps === undefined ? undefined : int('steps', v.steps, 1, 1e9),
    epochs: v.epochs === undefined ? undefined : num('epochs', v.epochs, 1e-6, 1e6),
    batch: int('batch', v.batch!, 2, 65536),
    lr: v.lr === undefined ? undefined : num('lr', v.lr, 0, 10),
    warmup: int('warmup', v.warmup!, 0, 1e9),
    maxPairs: v['max-pairs'] === undefined ? undefined : int('max-pairs', v['max-pairs'], 2, 1e9),
    seed: int('seed', v.seed!, 0, 2 ** 32 - 1),
    backend: oneOf('backend', v.backend!, ['auto', 'cpu', 'webgpu'] as const),
    dev: v.dev,
    devSplit: v['dev-split']!,
    devEvery: int('dev-every', v['dev-every']!, 0, 1e9),
    devMaxQueries:
      v['dev-max-queries'] === undefined ? undefined : int('dev-max-queries', v['dev-max-queries'], 1, 1e9),
    cache: v.cache,
    out: v.out,
    checkpointEvery: int('checkpoint-every', v['checkpoint-every']!, 0, 1e9),
    resume: v.resume!,
    allowNetwork: v['allow-network']!,
    prompts: v.prompts!,
    ...(fmt === undefined ? {} : { promptFormat: fmt.replace(/\\n/g, '\n') }),
  };
}
