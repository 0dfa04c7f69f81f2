/**
 * One interface for every text generator the Synthesize stage uses: the studio's own decoder engine in
 * the browser or Node (src/synth/local-generator.ts) and any OpenAI-compatible chat-completions endpoint
 * (src/synth/openai.ts). Tasks (write queries, write a hard negative) are built on it, not on either.
 */

export interface ChatMessage {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

export interface GenerateOptions {
  /** most new tokens */
  maxTokens: number;
  /** 0: greedy */
  temperature: number;
  /** nucleus sampling mass, 1: off */
  topP: number;
  /** sampling seed: the same seed, messages and model give the same text (local generator) */
  seed: number;
  /** stop strings besides the model's end of sequence */
  stop?: string[];
  signal?: AbortSignal;
  /** names the request in errors and logs (e.g. the item or document id) */
  item?: string;
}

export interface GenerateResult {
  text: string;
  /** why it stopped */
  finish: 'stop' | 'length';
  /** tokens written, where known */
  tokens?: number;
}

export interface TextGenerator {
  /** a model id or `${endpoint}#${model}` (recorded in provenance) */
  readonly id: string;
  generate(messages: readonly ChatMessage[], opts: GenerateOptions): Promise<GenerateResult>;
}

export const DEFAULT_GENERATE: Omit<GenerateOptions, 'signal'> = {
  maxTokens: 256,
  temperature: 0.7,
  topP: 0.95,
  seed: 42,
};
