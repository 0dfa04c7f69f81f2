/** The loader's names, options, progress events and error (load.ts, load-hub.ts). */
import type { HfEmbedderOptions } from './embedder';
import type { DeviceFitLimits } from './fit';

export const HF_FILES = [
  'config.json',
  'tokenizer.json',
  'tokenizer_config.json',
  'model.safetensors',
] as const;
/** read when there is one and the caller asks (`generation`): a generation model's EOS ids and defaults */
export const GENERATION_CONFIG = 'generation_config.json';
export type HfFileName = (typeof HF_FILES)[number] | typeof GENERATION_CONFIG;
export const HF_CACHE_NAME = 'stm-hf-models';

export class HfLoadError extends Error {
  constructor(
    readonly file: string,
    detail: string,
    readonly status?: number,
  ) {
    super(`${file}: ${detail}`);
    this.name = 'HfLoadError';
  }
}

export interface HfLoadProgress {
  readonly file: HfFileName;
  readonly loaded: number;
  /** null when the server does not say */
  readonly total: number | null;
  readonly fromCache: boolean;
}

/** The parts of the Cache API the loader uses. */
export interface CacheLike {
  match(url: string): Promise<Response | undefined>;
  put(url: string, res: Response): Promise<void>;
}

export interface LoadHfOptions extends HfEmbedderOptions {
  onProgress?: (p: HfLoadProgress) => void;
  /** hub revision (default 'main') */
  revision?: string;
  /** hub host (default https://huggingface.co) */
  hubUrl?: string;
  fetch?: typeof fetch;
  /** a cache to use, or false for none (default: caches.open(HF_CACHE_NAME) when the Cache API exists) */
  cache?: CacheLike | false;
  signal?: AbortSignal;
  /** also read generation_config.json when the model has one (text generation; default false) */
  generation?: boolean;
  /** the device the model is for: a hub download that cannot fit it (in `weightFormat`) fails before
   * any weight is fetched, naming the limit and the size (fit.ts) */
  limits?: DeviceFitLimits;
}
