/** Hugging Face models on the studio's own kernels: safetensors, config.json, BERT / decoder forward passes, loader, text generation. */
export {
  loadHfModel,
  loadHfFiles,
  GENERATION_CONFIG,
  HfLoadError,
  HF_FILES,
  HF_CACHE_NAME,
  type HfSource,
  type LoadHfOptions,
  type HfLoadProgress,
  type CacheLike,
} from './load';
export {
  HfEmbedder,
  DEFAULT_INSTRUCTION,
  BERT_TEMPLATES,
  decoderTemplates,
  type HfEmbedderOptions,
  type HfModelFiles,
  type HfPooling,
} from './embedder';
export {
  parseConfig,
  ConfigError,
  SUPPORTED_MODEL_TYPES,
  type HfConfig,
  type BertConfig,
  type DecoderConfig,
} from './config';
export {
  parseSafetensors,
  writeSafetensors,
  SafetensorsFile,
  SafetensorsError,
  type SafetensorsTensor,
} from './safetensors';
export { TokenizerError } from './tokenizer';
export {
  HfGenerator,
  type HfGeneratorOptions,
  type GenerateIdsOptions,
  type GenerateIdsResult,
} from './generator';
export { ChatTemplate, ChatTemplateError, chatTemplateOf, type ChatTurn } from './chat-template';
export { samplingDistribution, sampleToken, argmax, type SamplingOptions } from './sampling';
export type { DecoderAttention } from './decoder';
export type { TokenBatch } from './common';
