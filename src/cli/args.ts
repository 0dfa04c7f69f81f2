import { parseArgs } from 'node:util';

export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

export const USAGE = `usage: npm run stm -- <command> [options]

commands:
  eval    retrieve for every judged query of a split and print trec_eval-style metrics
          --dataset <dir|demo>      BEIR folder (corpus.jsonl, queries.jsonl, qrels/<split>.tsv; .gz ok) or "demo"
          --retriever dense|bm25    default dense
          --model <id|folder|org/name>  dense model (default use-lite; glove; a model folder; a hub id)
          --split <name>            qrels split (default test)
          --backend auto|cpu|webgpu compute backend for dense retrieval (default auto)
          --k1 <x> --b <x>          BM25 parameters (default 1.5, 0.75)
          --depth <n>               ranked list depth (default 1000, at most 1024)
          --run <file>              write a TREC run file (qid Q0 docid rank score tag)
          --json                    print one JSON object with the metrics on the last line
  embed   embed texts (one per line of --input) and print them as JSON
          --model <id|folder|org/name>  built-in id, a local model folder (onnx:<folder> runs its ONNX
                                    export in onnxruntime-web), or a hub id (default use-lite)
          --input <file>            UTF-8 text file, one text per line (blank lines kept as empty texts)
          --role query|passage      template applied before embedding (default passage)
          --backend auto|cpu|webgpu (default auto)
          --json                    print {"model","dim","embeddings":[[...],...]} on the last line
  models  list the models the studio knows`;

export interface EvalArgs {
  dataset: string;
  retriever: 'dense' | 'bm25';
  model: string;
  split: string;
  backend: 'auto' | 'cpu' | 'webgpu';
  k1: number;
  b: number;
  depth: number;
  run?: string;
  json: boolean;
}

function oneOf<T extends string>(name: string, v: string, allowed: readonly T[]): T {
  if (!(allowed as readonly string[]).includes(v)) throw new UsageError(`--${name} must be one of ${allowed.join('|')}, got "${v}"`);
  return v as T;
}

function num(name: string, v: string, min: number, max: number): number {
  const x = Number(v);
  if (!Number.isFinite(x) || x < min || x > max) throw new UsageError(`--${name} must be a number in [${min}, ${max}], got "${v}"`);
  return x;
}

export function parseEvalArgs(argv: string[]): EvalArgs {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      strict: true,
      options: {
        dataset: { type: 'string' },
        retriever: { type: 'string', default: 'dense' },
        model: { type: 'string', default: 'use-lite' },
        split: { type: 'string', default: 'test' },
        backend: { type: 'string', default: 'auto' },
        k1: { type: 'string', default: '1.5' },
        b: { type: 'string', default: '0.75' },
        depth: { type: 'string', default: '1000' },
        run: { type: 'string' },
        json: { type: 'boolean', default: false },
      },
    }).values;
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  if (!parsed.dataset) throw new UsageError('eval needs --dataset <dir|demo>');
  return {
    dataset: parsed.dataset,
    retriever: oneOf('retriever', parsed.retriever!, ['dense', 'bm25'] as const),
    model: parsed.model!,
    split: parsed.split!,
    backend: oneOf('backend', parsed.backend!, ['auto', 'cpu', 'webgpu'] as const),
    k1: num('k1', parsed.k1!, 0, 10),
    b: num('b', parsed.b!, 0, 1),
    depth: Math.round(num('depth', parsed.depth!, 1, 1024)),
    run: parsed.run,
    json: parsed.json!,
  };
}

export interface EmbedArgs {
  model: string;
  input: string;
  role: 'query' | 'passage';
  backend: 'auto' | 'cpu' | 'webgpu';
  json: boolean;
}

export function parseEmbedArgs(argv: string[]): EmbedArgs {
  let v;
  try {
    v = parseArgs({
      args: argv,
      strict: true,
      options: {
        model: { type: 'string', default: 'use-lite' },
        input: { type: 'string' },
        role: { type: 'string', default: 'passage' },
        backend: { type: 'string', default: 'auto' },
        json: { type: 'boolean', default: false },
      },
    }).values;
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  if (!v.input) throw new UsageError('embed needs --input <file>');
  return {
    model: v.model!,
    input: v.input,
    role: oneOf('role', v.role!, ['query', 'passage'] as const),
    backend: oneOf('backend', v.backend!, ['auto', 'cpu', 'webgpu'] as const),
    json: v.json!,
  };
}
