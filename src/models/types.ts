import type { Backend } from '../gpu/backend';

export type Role = 'query' | 'passage';

/** A text embedder running on a compute backend. Output rows are L2-normalised. */
export interface Embedder {
  readonly id: string;
  readonly dim: number;
  /** embeds texts; returns [texts.length * dim] row-major, L2-normalised */
  embed(backend: Backend, texts: readonly string[], role: Role): Promise<Float32Array>;
}
