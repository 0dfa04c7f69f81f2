/**
 * config.json of a Hugging Face transformers model -> the architecture description the native engine
 * runs. Encoders: 'bert', 'roberta', 'xlm-roberta'. Decoders (config-decoder.ts): 'qwen3', 'qwen2', 'llama',
 * 'gemma', 'gemma2', 'phi3'. Anything else throws a ConfigError.
 */
import type { Activation } from '../../core/transformer-ops';
import { isDecoderType, parseDecoder } from './config-decoder';

export { ConfigError, DECODER_MODEL_TYPES } from './config-types';
export type { BertConfig, DecoderConfig, DecoderModelType, RopeScaling } from './config-types';
import { ConfigError, DECODER_MODEL_TYPES, type BertConfig, type DecoderConfig } from './config-types';

export type HfConfig = BertConfig | DecoderConfig;

export const SUPPORTED_MODEL_TYPES = ['bert', 'roberta', 'xlm-roberta', ...DECODER_MODEL_TYPES] as const;

const ACTS: Record<string, Activation> = {
  gelu: 'gelu',
  gelu_new: 'gelu_tanh',
  gelu_pytorch_tanh: 'gelu_tanh',
  gelu_fast: 'gelu_tanh',
  relu: 'relu',
  silu: 'silu',
  swish: 'silu',
  tanh: 'tanh',
};

/** Parses config.json text (or an already-parsed object). */
export function parseConfig(json: string | unknown, file = 'config.json'): HfConfig {
  let c: unknown = json;
  if (typeof json === 'string') {
    try {
      c = JSON.parse(json);
    } catch (e) {
      throw new ConfigError(file, `not valid JSON (${e instanceof Error ? e.message : String(e)})`);
    }
  }
  if (typeof c !== 'object' || c === null || Array.isArray(c))
    throw new ConfigError(file, 'not a JSON object');
  const o = c as Record<string, unknown>;
  const int = (key: string, fallback?: number, min = 1): number => {
    const v = o[key] ?? fallback;
    if (v === undefined) throw new ConfigError(file, `missing required field "${key}"`);
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min)
      throw new ConfigError(file, `"${key}" must be an integer >= ${min}, got ${JSON.stringify(v)}`);
    return v;
  };
  const num = (key: string, fallback: number): number => {
    const v = o[key] ?? fallback;
    if (typeof v !== 'number' || !(v > 0) || !Number.isFinite(v))
      throw new ConfigError(file, `"${key}" must be a positive number, got ${JSON.stringify(v)}`);
    return v;
  };
  const act = (key: string, fallback: string): Activation => {
    const v = o[key] ?? fallback;
    const a = typeof v === 'string' ? ACTS[v] : undefined;
    if (!a)
      throw new ConfigError(
        file,
        `"${key}" ${JSON.stringify(v)} is not supported (supported: ${Object.keys(ACTS).join(', ')})`,
      );
    return a;
  };
  const type = o.model_type;
  if (typeof type !== 'string')
    throw new ConfigError(file, `missing "model_type" (supported: ${SUPPORTED_MODEL_TYPES.join(', ')})`);

  if (type === 'bert' || type === 'roberta' || type === 'xlm-roberta') {
    const hidden = int('hidden_size');
    const heads = int('num_attention_heads');
    if (hidden % heads)
      throw new ConfigError(file, `hidden_size ${hidden} is not divisible by num_attention_heads ${heads}`);
    const pet = o.position_embedding_type ?? 'absolute';
    if (pet !== 'absolute')
      throw new ConfigError(
        file,
        `position_embedding_type ${JSON.stringify(pet)} is not supported (only "absolute")`,
      );
    const isRoberta = type !== 'bert';
    return {
      family: 'bert',
      modelType: type,
      vocabSize: int('vocab_size'),
      hidden,
      layers: int('num_hidden_layers'),
      heads,
      intermediate: int('intermediate_size'),
      act: act('hidden_act', 'gelu'),
      maxPositions: int('max_position_embeddings', 512),
      typeVocabSize: int('type_vocab_size', 2),
      eps: num('layer_norm_eps', 1e-12),
      positionOffset: isRoberta ? int('pad_token_id', 1, 0) + 1 : 0,
    };
  }

  if (isDecoderType(type)) return parseDecoder(o, type, file, { int, num, act });
  throw new ConfigError(
    file,
    `model_type "${type}" is not supported (supported: ${SUPPORTED_MODEL_TYPES.join(', ')})`,
  );
}
