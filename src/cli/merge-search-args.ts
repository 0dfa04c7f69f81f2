/** `stm merge-search`'s options. */
import { SEARCH_STRATEGIES, type SearchStrategy } from '../merge/search/search';
import { num, oneOf, strictOptions, UsageError } from './args';

export const MERGE_SEARCH_USAGE = `  merge-search  search merge weights (and densities) of adapter experts on nDCG@10 over dev pools,
          then score the chosen merge on held-out test splits
          --experts <dir,dir,…>     expert folders (one base model, one method)
          --dev <dir[:split],…>     BEIR folders whose split (default dev) is one task each; the objective
                                    is the mean nDCG@10 over their dev pools (judged docs + every model's top-k)
          --method <m>              ties (default), task_arithmetic, linear, dare_ties, dare_linear,
                                    breadcrumbs, breadcrumbs_ties, della, della_linear
          --strategy grid|random|cmaes  grid: the paper's weights 0..0.9 and densities 0.1..0.9, step coarsened
                                    to fit --budget (or --grid-step); random: best of --budget; cmaes: CMA-ES
          --budget <n>              evaluations at most (default 100)
          --seed <n>                (default 42; also the DARE/DELLA mask seed)
          --pool-k <n>              candidates per query and model in a dev pool (default 100)
          --weight-range <a>:<b>    weight bounds (default 0:1)
          --density-range <a>:<b>   density bounds (default 0.05:1)
          --shared-density          one density for all experts (a smaller space)
          --lambda-range <a>:<b>    search lambda too (default: lambda 1)
          --grid-step <x>           grid step (default: the finest of 0.1…0.45 that fits the budget)
          --test <dir[:split],…>    score the chosen merge on these splits (default split test), full
                                    corpus, full evaluate(); the search never saw them
          --compare                 with --test: score the base and each expert on them too
          --cache <file>            base-embedding cache on disk (as stm train --cache)
          --backend auto|cpu|webgpu (default auto)
          --out <dir>               save the chosen merge as an expert folder (stm eval --model reads it)
          --json                    print one JSON object (trials, best, test figures) on the last line`;

export interface SplitSpec {
  dir: string;
  split: string;
}

export interface MergeSearchArgs {
  experts: string[];
  dev: SplitSpec[];
  test: SplitSpec[];
  compare: boolean;
  method: string;
  strategy: SearchStrategy;
  budget: number;
  seed: number;
  poolK: number;
  weight: [number, number];
  density: [number, number];
  sharedDensity: boolean;
  lambda?: [number, number];
  gridStep?: number;
  cache?: string;
  backend: 'auto' | 'cpu' | 'webgpu';
  out?: string;
  json: boolean;
}

const list = (v: string) =>
  v
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);

/** "dir[:split]" (a Windows drive letter "C:\…" is not a split) */
export function parseSplitSpec(spec: string, defaultSplit: string): SplitSpec {
  const m = /^(.*[^:]):([\w.-]+)$/.exec(spec);
  if (m && !/^[A-Za-z]$/.test(m[1])) return { dir: m[1], split: m[2] };
  return { dir: spec, split: defaultSplit };
}

function range(name: string, v: string, min: number, max: number): [number, number] {
  const m = /^([^:]+):([^:]+)$/.exec(v);
  if (!m) throw new UsageError(`--${name} must be <a>:<b>, got "${v}"`);
  const a = num(name, m[1], min, max);
  const b = num(name, m[2], min, max);
  if (a > b) throw new UsageError(`--${name}: ${a} > ${b}; give <low>:<high>`);
  return [a, b];
}

export function parseMergeSearchArgs(argv: string[]): MergeSearchArgs {
  const str = (def?: string) => ({ type: 'string' as const, ...(def === undefined ? {} : { default: def }) });
  const v = strictOptions(argv, {
    experts: str(),
    dev: str(),
    test: str(),
    method: str('ties'),
    strategy: str('cmaes'),
    budget: str('100'),
    seed: str('42'),
    'pool-k': str('100'),
    'weight-range': str('0:1'),
    'density-range': str('0.05:1'),
    'shared-density': { type: 'boolean', default: false },
    'lambda-range': str(),
    'grid-step': str(),
    cache: str(),
    backend: str('auto'),
    out: str(),
    json: { type: 'boolean', default: false },
    compare: { type: 'boolean', default: false },
  });
  if (!v.experts) throw new UsageError('merge-search needs --experts <dir,dir,…>');
  const experts = list(v.experts);
  if (experts.length < 1) throw new UsageError('merge-search: --experts names no folder');
  if (!v.dev)
    throw new UsageError('merge-search needs --dev <beir dir[:split],…> (the splits the search scores on)');
  const dev = list(v.dev).map((s) => parseSplitSpec(s, 'dev'));
  const test = v.test ? list(v.test).map((s) => parseSplitSpec(s, 'test')) : [];
  const int = (name: string, x: string, min: number, max: number) => {
    const n = num(name, x, min, max);
    if (!Number.isInteger(n)) throw new UsageError(`--${name} must be an integer, got "${x}"`);
    return n;
  };
  return {
    experts,
    dev,
    test,
    compare: v.compare!,
    method: v.method!,
    strategy: oneOf('strategy', v.strategy!, SEARCH_STRATEGIES),
    budget: int('budget', v.budget!, 1, 1e6),
    seed: int('seed', v.seed!, 0, 2 ** 32 - 1),
    poolK: int('pool-k', v['pool-k']!, 1, 1024),
    weight: range('weight-range', v['weight-range']!, -10, 10),
    density: range('density-range', v['density-range']!, 0, 1),
    sharedDensity: v['shared-density']!,
    lambda: v['lambda-range'] === undefined ? undefined : range('lambda-range', v['lambda-range'], 0, 10),
    gridStep: v['grid-step'] === undefined ? undefined : num('grid-step', v['grid-step'], 0.01, 1),
    cache: v.cache,
    backend: oneOf('backend', v.backend!, ['auto', 'cpu', 'webgpu'] as const),
    out: v.out,
    json: v.json!,
  };
}
