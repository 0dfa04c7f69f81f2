/**
 * What the model-independent LoRA code (lora.ts) needs from a model with adapted linears: its linear
 * modules, the base embedder's batching, and a forward of one batch that can back-propagate into the
 * adapters. USE-lite (lora-use-lite.ts) and Hugging Face encoders/decoders (lora-hf.ts) implement it.
 */
import type { Backend, Tensor } from '../core/backend';
import type { Embedder } from '../models/types';
import type { Dropout, LoraGrad } from './lora-linear';
import type { LinearModule, LoraSet, TrainBackend } from './lora-modules';

/** One padded batch after a forward: its L2-normalised rows and (when saved) its backward. */
export interface LoraBatch {
  /** [batch, dim]; the caller disposes it */
  readonly normed: Tensor;
  /** accumulates into `grads` given d(loss)/d(normed); frees what the forward saved (not normed) */
  backward(be: TrainBackend, dNormed: Tensor, grads: ReadonlyMap<string, LoraGrad>): void;
  /** frees what the forward saved (not normed) */
  release(): void;
}

/** A forward plan for some texts: the base embedder's batches (text indices) and the forward of one. */
export interface LoraPlan {
  readonly groups: readonly (readonly number[])[];
  forward(group: readonly number[], lora: LoraSet, dropout: Dropout | null, save: boolean): LoraBatch;
}

export interface LoraModel {
  readonly embedder: Embedder;
  /** every linear that can carry an adapter, in forward order */
  readonly modules: readonly LinearModule[];
  plan(be: Backend, texts: readonly string[]): LoraPlan;
}
