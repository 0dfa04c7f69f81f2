/**
 * A TextGenerator on the studio's own decoder engine (models/hf/generator.ts): a Qwen3/Qwen2/Llama/Gemma/Phi-3 chat
 * model loaded by folder (Node), picked files (browser), hub id or URL through the HF loader, with per-file
 * progress; hub downloads are kept in the Cache API like the embedding models'. Works in Node (tests, CLI)
 * and in the worker (features/generate). The model stays loaded until `release`.
 */
import type { Backend } from '../core/backend';
import { createCpuBackend } from '../gpu/cpu';
import { HfGenerator } from '../models/hf/generator';
import { loadHfFiles, type HfLoadProgress, type HfSource, type LoadHfOptions } from '../models/hf/load';
import type { ChatMessage, GenerateOptions, GenerateResult, TextGenerator } from './generator';

export interface LocalGenerateOptions extends GenerateOptions {
  /** after each new token: tokens written and the most that may be */
  onToken?: (done: number, limit: number) => void;
}

export interface LocalGeneratorOptions extends Pick<
  LoadHfOptions,
  'fetch' | 'cache' | 'hubUrl' | 'revision' | 'signal'
> {
  /** generator id recorded in provenance (default: the source) */
  id?: string;
  /** a Jinja chat template instead of tokenizer_config.json's (e.g. for a base model) */
  chatTemplate?: string;
  /** Qwen3's thinking mode (enable_thinking; default false) */
  thinking?: boolean;
  /** per file while loading */
  onProgress?: (p: HfLoadProgress) => void;
  /** where `generate` runs (default: the CPU backend, created on first use) */
  backend?: () => Promise<Backend>;
}

export class LocalGenerator implements TextGenerator {
  private cpu: Promise<Backend> | null = null;

  constructor(
    readonly model: HfGenerator,
    private readonly backend?: () => Promise<Backend>,
  ) {}

  get id(): string {
    return this.model.id;
  }

  /** why the model's own chat template is not used (the ChatML fallback), else null: worth showing */
  get templateNote(): string | null {
    return this.model.templateNote;
  }

  /** TextGenerator: on the backend given at load (default the CPU) */
  async generate(messages: readonly ChatMessage[], opts: LocalGenerateOptions): Promise<GenerateResult> {
    return this.generateOn(await this.backendNow(), messages, opts);
  }

  /** The same on a given backend (the worker's, with its device-loss recovery). */
  async generateOn(
    backend: Backend,
    messages: readonly ChatMessage[],
    opts: LocalGenerateOptions,
  ): Promise<GenerateResult> {
    if (!messages.length) throw new RangeError(`${this.id}: generate needs at least one message`);
    opts.signal?.throwIfAborted();
    const r = await this.model.generate(backend, this.model.prompt(messages), opts);
    return { text: r.text, finish: r.finish, tokens: r.tokens };
  }

  private backendNow(): Promise<Backend> {
    if (this.backend) return this.backend();
    this.cpu ??= Promise.resolve(createCpuBackend());
    return this.cpu;
  }

  /** Frees the weights on every backend (and the default CPU backend). */
  release(): void {
    this.model.release();
    void this.cpu?.then((b) => b.destroy());
    this.cpu = null;
  }
}

/** Loads a chat model (config.json, generation_config.json if any, tokenizer files, model.safetensors). */
export async function loadLocalGenerator(
  source: HfSource,
  opts: LocalGeneratorOptions = {},
): Promise<LocalGenerator> {
  const files = await loadHfFiles(source, { ...opts, generation: true });
  const model = await HfGenerator.create(files, {
    id: opts.id,
    chatTemplate: opts.chatTemplate,
    thinking: opts.thinking,
  });
  return new LocalGenerator(model, opts.backend);
}
