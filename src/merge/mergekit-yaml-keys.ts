/** The keys of a mergekit YAML recipe that the importer and the exporter both know (src/merge/mergekit-yaml*.ts). */
import { DEFAULT_DENSITY, DEFAULT_EPSILON, DEFAULT_GAMMA, type MergeOptions } from './types';

/** The comment that carries a recipe's query instruction (mergekit reads no comment, so it is left alone). */
export const INSTRUCTION_COMMENT = '# stm_instruction:';

export const TOP_KEYS = ['merge_method', 'base_model', 'models', 'parameters', 'dtype', 'out_dtype'];
/** mergekit keys that do not change the merged tensors here */
export const IGNORED_TOP_KEYS = ['tokenizer_source', 'tokenizer', 'chat_template', 'name'];
/** mergekit keys this importer cannot apply */
export const UNSUPPORTED_TOP_KEYS: Record<string, string> = {
  slices: 'layer slices (frankenmerges) are not supported; list whole models under "models"',
  modules: 'per-module definitions are not supported; list whole models under "models"',
};
export const MODEL_KEYS = ['model', 'parameters'];
/** per-model parameters (also allowed at the top level as defaults for every model) */
export const MODEL_PARAMS = ['weight', 'density', 'gamma', 'epsilon'] as const;
/** global parameters: mergekit name → MergeOptions key ("seed" is STM's: mergekit has no mask seed) */
export const GLOBAL_PARAMS = {
  normalize: 'normalize',
  rescale: 'rescale',
  lambda: 'lambda',
  t: 't',
  filter_wise: 'filterWise',
  normalize_weights: 'normalizeWeights',
  seed: 'seed',
} as const satisfies Record<string, keyof MergeOptions>;
/** read by mergekit, no effect on the values here (the mask's storage type) */
export const NO_EFFECT_PARAMS = ['int8_mask'];
/** numeric global parameters that may vary by layer or name (LayerOptions) */
export const LAYER_GLOBALS = ['lambda', 't'] as const;
/** what mergekit uses when no setting matches a tensor (weight and t have none: they are required) */
export const PARAM_DEFAULTS: Partial<Record<string, number>> = {
  density: DEFAULT_DENSITY,
  gamma: DEFAULT_GAMMA,
  epsilon: DEFAULT_EPSILON,
  lambda: 1,
};
export const DTYPES = ['float32', 'float16', 'bfloat16'];
