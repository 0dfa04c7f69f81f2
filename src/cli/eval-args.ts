/** `stm eval`'s options: parsed and checked (the shared helpers and the usage text are in ./args). */
import { DEFAULT_ALPHA, type Fusion } from '../eval/hybrid-label';
import { num, oneOf, strictOptions, UsageError } from './args';

const FUSIONS: readonly Fusion[] = ['rrf', 'wsum'];

export interface EvalArgs {
  dataset: string;
  retriever: 'dense' | 'bm25' | 'hybrid';
  model: string;
  /** hybrid only */
  fusion?: Fusion;
  /** hybrid wsum only */
  alpha?: number;
  /** the MTEB results JSON's folder */
  resultsDir?: string;
  /** the corpus embedding cache's folder (undefined: the default); null: --no-cache */
  cacheDir?: string | null;
  split: string;
  backend: 'auto' | 'cpu' | 'webgpu';
  k1: number;
  b: number;
  depth: number;
  run?: string;
  json: boolean;
  allowNetwork: boolean;
  /** none | default | <k> | each | an instruction (src/cli/eval.ts) */
  prompt?: string;
}

export function parseEvalArgs(argv: string[]): EvalArgs {
  const parsed = strictOptions(argv, {
    dataset: { type: 'string' },
    retriever: { type: 'string', default: 'dense' },
    model: { type: 'string' },
    split: { type: 'string', default: 'test' },
    backend: { type: 'string', default: 'auto' },
    k1: { type: 'string', default: '1.5' },
    b: { type: 'string', default: '0.75' },
    depth: { type: 'string', default: '1000' },
    run: { type: 'string' },
    json: { type: 'boolean', default: false },
    'allow-network': { type: 'boolean', default: false },
    prompt: { type: 'string' },
    fusion: { type: 'string' },
    alpha: { type: 'string' },
    'results-dir': { type: 'string' },
    'cache-dir': { type: 'string' },
    'no-cache': { type: 'boolean', default: false },
  });
  if (!parsed.dataset) throw new UsageError('eval needs --dataset <dir|demo>');
  const retriever = oneOf('retriever', parsed.retriever!, ['dense', 'bm25', 'hybrid'] as const);
  const hybrid = hybridOptions(retriever, parsed);
  if (parsed['no-cache'] && parsed['cache-dir'] !== undefined)
    throw new UsageError('give --cache-dir <dir> or --no-cache, not both');
  if (parsed.prompt === 'each' && parsed['results-dir'] !== undefined)
    throw new UsageError('--results-dir writes one result per task: give one --prompt, not each');
  if (parsed.prompt !== undefined && parsed.retriever === 'bm25')
    throw new UsageError('--prompt is for dense models (BM25 reads the query words only)');
  if (parsed.prompt === 'each' && parsed.run !== undefined)
    throw new UsageError('--run writes one ranking: give one --prompt, not each');
  return {
    dataset: parsed.dataset,
    retriever,
    model: parsed.model ?? 'use-lite',
    ...hybrid,
    ...(parsed['results-dir'] === undefined ? {} : { resultsDir: parsed['results-dir'] }),
    ...(parsed['no-cache'] ? { cacheDir: null } : {}),
    ...(parsed['cache-dir'] === undefined ? {} : { cacheDir: parsed['cache-dir'] }),
    split: parsed.split!,
    backend: oneOf('backend', parsed.backend!, ['auto', 'cpu', 'webgpu'] as const),
    k1: num('k1', parsed.k1!, 0, 10),
    b: num('b', parsed.b!, 0, 1),
    depth: Math.round(num('depth', parsed.depth!, 1, 1024)),
    run: parsed.run,
    json: parsed.json!,
    allowNetwork: parsed['allow-network']!,
    ...(parsed.prompt === undefined ? {} : { prompt: parsed.prompt }),
  };
}

/** --fusion and --alpha: hybrid only, --alpha with wsum only (it implies wsum), --model given. */
function hybridOptions(
  retriever: EvalArgs['retriever'],
  v: { fusion?: string; alpha?: string; model?: string; prompt?: string },
): Pick<EvalArgs, 'fusion' | 'alpha'> {
  if (retriever !== 'hybrid') {
    if (v.fusion !== undefined || v.alpha !== undefined)
      throw new UsageError(`--fusion and --alpha are for --retriever hybrid, not ${retriever}`);
    return {};
  }
  if (v.model === undefined)
    throw new UsageError(
      '--retriever hybrid needs --model <id|folder|org/name>: the dense side fused with BM25 (e.g. --model use-lite)',
    );
  if (v.prompt === 'each') throw new UsageError('--retriever hybrid takes one --prompt, not each');
  const fusion = oneOf('fusion', v.fusion ?? (v.alpha === undefined ? 'rrf' : 'wsum'), FUSIONS);
  if (fusion === 'rrf') {
    if (v.alpha !== undefined)
      throw new UsageError(
        '--alpha weighs the two scores of --fusion wsum; reciprocal-rank fusion (rrf) has no weight',
      );
    return { fusion };
  }
  return { fusion, alpha: v.alpha === undefined ? DEFAULT_ALPHA : num('alpha', v.alpha, 0, 1) };
}
