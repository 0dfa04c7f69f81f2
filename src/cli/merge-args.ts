/** `stm merge`'s options, checked against what the merge method reads; and the recipe they describe. */
import type { MergeRecipe } from '../merge/recipe';
import { getMergeMethod, mergeMethodNames } from '../merge/registry';
import { MergeError, type MergeOptions, type ModelParams } from '../merge/types';
import { num, oneOf, strictOptions, UsageError } from './args';
import { checkInstruction } from '../prompts/policy';

export const MERGE_USAGE = `  merge   merge experts (expert folders) or plain safetensors checkpoints with mergekit's methods
          --method <m>              ${mergeMethodNames().join('|')}
          --experts <a,b,...>       expert folders (as \`stm train\` writes them; same base model and
                                    method) or .safetensors checkpoints with the same tensor names
          --base <model|file>       checkpoints: the base .safetensors (required by every method but
                                    linear/multislerp); experts: the base model id they share (checked)
          --weights <w,...>         one per expert, or one for all (required where the method reads weight)
          --densities <d,...>       fraction of each task vector kept (ties, dare_*, breadcrumbs*, della*)
          --gamma <g>               breadcrumbs: fraction of the largest |delta| dropped (default 0.01)
          --epsilon <e>             della: keep-probability spread around density (default 0.15)
          --lambda <l>              scale of the mixed task vector (default 1)
          --seed <n>                DARE/DELLA mask seed (default 0)
          --normalize true|false    --rescale true|false   (defaults: the method's, as mergekit)
          --t <x>                   slerp: 0 = base, 1 = the other model
          --config <recipe.yml>     a mergekit YAML recipe instead of the options above (its models are
                                    expert folders or .safetensors files; relative paths from the current folder)
          --out <dir|file.safetensors>  the merged expert folder (\`stm eval --model\` reads it) or checkpoint
          --yaml <file>             also write the merge as a mergekit YAML recipe
          --dtype float32|float16|bfloat16  checkpoint storage type (default: the recipe's, else float32)
          --name <text>             merged expert's name (default: the recipe's label)
          --instruction "<text>"|none  experts: the merged expert's query instruction (default: the first
                                    expert's prompt policy); kept in the recipe and its --yaml
          --lora-rank <r>           LoRA experts: write the merge as a LoRA again (PEFT files) by truncated
                                    SVD of each merged ΔW at rank r (energy kept per module is printed)
          --lora-threshold <s>      ... or keeping the singular values above s (at most rank 64)
          --full-model <file>       LoRA experts over a Hugging Face model: also write the base's
                                    safetensors with W + ΔW folded in (HF layout, other tensors copied)
          --backend auto|cpu|webgpu where the task-arithmetic family mixes (default auto)
          --json                    print {"out","kind","method","tensors",...} on the last line`;

export type MergeDtype = 'float32' | 'float16' | 'bfloat16';
const DTYPES = ['float32', 'float16', 'bfloat16'] as const;

export interface MergeArgs {
  method?: string;
  base?: string;
  experts: string[];
  weights?: number[];
  densities?: number[];
  gamma?: number;
  epsilon?: number;
  lambda?: number;
  seed?: number;
  normalize?: boolean;
  rescale?: boolean;
  t?: number;
  config?: string;
  out: string;
  yaml?: string;
  dtype?: MergeDtype;
  name?: string;
  /** the merged expert's query instruction; null: none; absent: the first expert's */
  instruction?: string | null;
  loraRank?: number;
  loraThreshold?: number;
  fullModel?: string;
  backend: 'auto' | 'cpu' | 'webgpu';
  json: boolean;
}

function bool(name: string, v: string): boolean {
  if (v === 'true') return true;
  if (v === 'false') return false;
  throw new UsageError(`--${name} must be true or false, got "${v}"`);
}

function list(name: string, v: string, min: number, max: number): number[] {
  const parts = v.split(',').map((s) => s.trim());
  if (parts.some((s) => s === '')) throw new UsageError(`--${name} has an empty entry: "${v}"`);
  return parts.map((s) => num(name, s, min, max));
}

/** Options the recipe gives when --config is used. */
const RECIPE_OPTIONS = [
  'method',
  'base',
  'experts',
  'weights',
  'densities',
  'gamma',
  'epsilon',
  'lambda',
  'normalize',
  'rescale',
  't',
] as const;

function instructionArg(v: string): string | null {
  if (v === 'none') return null;
  try {
    return checkInstruction(v, '--instruction');
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
}

export function parseMergeArgs(argv: string[]): MergeArgs {
  const str = { type: 'string' as const };
  const v = strictOptions(argv, {
    method: str,
    base: str,
    experts: str,
    weights: str,
    densities: str,
    gamma: str,
    epsilon: str,
    lambda: str,
    seed: str,
    normalize: str,
    rescale: str,
    t: str,
    config: str,
    out: str,
    yaml: str,
    dtype: str,
    name: str,
    instruction: str,
    'lora-rank': str,
    'lora-threshold': str,
    'full-model': str,
    backend: { type: 'string', default: 'auto' },
    json: { type: 'boolean', default: false },
  });
  if (!v.out)
    throw new UsageError('merge needs --out <dir> (experts) or --out <file.safetensors> (checkpoints)');
  if (v.config !== undefined) {
    const clash = RECIPE_OPTIONS.find((k) => v[k] !== undefined);
    if (clash)
      throw new UsageError(
        `--${clash} cannot be combined with --config: the recipe ${v.config} gives the method, models and parameters; edit it instead`,
      );
  } else {
    if (!v.method) throw new UsageError('merge needs --method <m> (or --config <recipe.yml>)');
    if (!v.experts) throw new UsageError('merge needs --experts <a,b,...> (or --config <recipe.yml>)');
  }
  const experts = v.experts ? v.experts.split(',').map((s) => s.trim()) : [];
  if (experts.some((e) => e === '')) throw new UsageError(`--experts has an empty entry: "${v.experts}"`);
  const a: MergeArgs = {
    method: v.method,
    base: v.base,
    experts,
    weights: v.weights === undefined ? undefined : list('weights', v.weights, -1e6, 1e6),
    densities: v.densities === undefined ? undefined : list('densities', v.densities, 0, 1),
    gamma: v.gamma === undefined ? undefined : num('gamma', v.gamma, 0, 1),
    epsilon: v.epsilon === undefined ? undefined : num('epsilon', v.epsilon, 0, 1),
    lambda: v.lambda === undefined ? undefined : num('lambda', v.lambda, -1e6, 1e6),
    seed: v.seed === undefined ? undefined : Math.round(num('seed', v.seed, 0, 2 ** 32 - 1)),
    normalize: v.normalize === undefined ? undefined : bool('normalize', v.normalize),
    rescale: v.rescale === undefined ? undefined : bool('rescale', v.rescale),
    t: v.t === undefined ? undefined : num('t', v.t, -1e6, 1e6),
    config: v.config,
    out: v.out,
    yaml: v.yaml,
    dtype: v.dtype === undefined ? undefined : oneOf('dtype', v.dtype, DTYPES),
    name: v.name,
    ...(v.instruction === undefined ? {} : { instruction: instructionArg(v.instruction) }),
    loraRank:
      v['lora-rank'] === undefined ? undefined : Math.round(num('lora-rank', v['lora-rank'], 1, 4096)),
    loraThreshold:
      v['lora-threshold'] === undefined ? undefined : num('lora-threshold', v['lora-threshold'], 0, 1e9),
    fullModel: v['full-model'],
    backend: oneOf('backend', v.backend!, ['auto', 'cpu', 'webgpu'] as const),
    json: v.json!,
  };
  if (a.loraRank !== undefined && a.loraThreshold !== undefined)
    throw new UsageError('give --lora-rank or --lora-threshold, not both');
  if (a.method !== undefined) checkAgainstMethod(a);
  return a;
}

/** Every given option is one the method reads; lists have one entry per expert (or one for all). */
function checkAgainstMethod(a: MergeArgs): void {
  let m;
  try {
    m = getMergeMethod(a.method!);
  } catch (e) {
    throw new UsageError(`--method: ${(e as MergeError).message}`);
  }
  const reads = (p: string) =>
    (m.modelParams as readonly string[]).includes(p) || (m.globalParams as readonly string[]).includes(p);
  const given: [string, string, unknown][] = [
    ['weights', 'weight', a.weights],
    ['densities', 'density', a.densities],
    ['gamma', 'gamma', a.gamma],
    ['epsilon', 'epsilon', a.epsilon],
    ['lambda', 'lambda', a.lambda],
    ['seed', 'seed', a.seed],
    ['normalize', 'normalize', a.normalize],
    ['rescale', 'rescale', a.rescale],
    ['t', 't', a.t],
  ];
  for (const [opt, param, value] of given) {
    if (value !== undefined && !reads(param))
      throw new UsageError(
        `--${opt}: ${m.name} does not read "${param}" (it reads ${[...m.modelParams, ...m.globalParams].join(', ') || 'nothing'})`,
      );
  }
  if (m.modelParams.includes('weight') && a.weights === undefined)
    throw new UsageError(`${m.name} needs --weights <w,...> (one per expert, or one for all)`);
  if (m.name === 'slerp' && a.t === undefined)
    throw new UsageError('slerp needs --t <x> (0 = base, 1 = the other model)');
  for (const [opt, xs] of [
    ['weights', a.weights],
    ['densities', a.densities],
  ] as const) {
    if (xs && xs.length !== 1 && xs.length !== a.experts.length)
      throw new UsageError(
        `--${opt} has ${xs.length} values for ${a.experts.length} experts; give one per expert or one for all`,
      );
  }
}

/** The recipe the options describe, over the given experts (ids and names in --experts order). */
export function recipeFromArgs(
  a: MergeArgs,
  baseModel: string,
  experts: readonly { id: string; name: string }[],
): MergeRecipe {
  const pick = (xs: number[] | undefined, i: number) => (xs ? (xs.length === 1 ? xs[0] : xs[i]) : undefined);
  const options: MergeOptions = {};
  if (a.lambda !== undefined) options.lambda = a.lambda;
  if (a.seed !== undefined) options.seed = a.seed;
  if (a.normalize !== undefined) options.normalize = a.normalize;
  if (a.rescale !== undefined) options.rescale = a.rescale;
  if (a.t !== undefined) options.t = a.t;
  return {
    method: a.method!,
    baseModel,
    experts: experts.map((e, i) => {
      const params = {} as ModelParams;
      const w = pick(a.weights, i);
      const d = pick(a.densities, i);
      if (w !== undefined) params.weight = w;
      if (d !== undefined) params.density = d;
      if (a.gamma !== undefined) params.gamma = a.gamma;
      if (a.epsilon !== undefined) params.epsilon = a.epsilon;
      return { id: e.id, name: e.name, params };
    }),
    options,
  };
}
