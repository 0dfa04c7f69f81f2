/**
 * The op context an architecture's forward is written against, once: the inference context (inference.ts)
 * runs each op on a Backend and frees eagerly; the recording context (tape.ts) also keeps what the backward
 * needs. Linears go through an injectable source (`Linear`): the model's plain weights for inference, base +
 * LoRA for training (src/train/lora-linear.ts), merged weights later.
 *
 * Ownership: every tensor an op returns belongs to the forward, which calls `free` once it is done with it
 * (the recording context defers what the backward still needs). `reshape` gives a view sharing storage: free
 * the view or its source, never both. Weights and other tensors from outside the forward are never freed.
 *
 * Generation's KV cache (models/hf/kv-cache.ts) uses the inference context: rope at a position offset and
 * attention whose keys run past the queries.
 */
import type { Backend, Tensor } from '../core/backend';
import type { Activation, AttentionOptions, Positional, RopeOptions } from '../core/transformer-ops';

/** One linear layer of a model (a place an adapter or a merge can act), by PEFT-style module path. */
export interface LinearModule {
  /** module path inside the model, e.g. "encoder.layers.0.attention.query" */
  readonly path: string;
  readonly inDim: number;
  readonly outDim: number;
  /**
   * a fused linear's row slices (phi3: q_proj|k_proj|v_proj of self_attn.qkv_proj, gate_proj|up_proj of
   * mlp.gate_up_proj): each output rows start..start+len-1, by the name of the unfused module it stands for
   */
  readonly slices?: readonly LinearSlice[];
}

/** One row slice of a fused linear: its output rows start..start+len-1 are the unfused module `name`. */
export interface LinearSlice {
  readonly name: string;
  readonly start: number;
  readonly len: number;
}

/** A recorded linear call: its output and the backward of the parameters it holds. */
export interface LinearCall {
  readonly y: Tensor;
  /** true when the call holds trainable parameters (its backward accumulates their gradients) */
  readonly trainable: boolean;
  /** returns dx [rows, in] when needDx (else null), accumulating parameter gradients; frees what it saved */
  backward(dy: Tensor, needDx: boolean): Tensor | null;
  /** frees what the call saved, without a backward (a no-op after backward or a first release) */
  release(): void;
}

/** Where a forward's linears come from. x is [rows, in] (2-D); y is [rows, out]. */
export interface Linear {
  /** y for the linear at `path` */
  forward(be: Backend, x: Tensor, path: string): Tensor;
  /** y for the linear at `path`, keeping what its backward needs (x stays the caller's) */
  record(be: Backend, x: Tensor, path: string): LinearCall;
}

/** The ops architectures use; semantics as the Backend's (core/transformer-ops.ts). */
export interface Ops {
  readonly backend: Backend;
  /** a constant input (token ids, masks): no gradient */
  input(data: Float32Array | Uint32Array, shape: readonly number[]): Tensor;
  /** rows of a frozen table: no gradient into the table */
  gather(table: Tensor, ids: Tensor): Tensor;
  /** the linear at `path`, from the context's Linear source */
  linear(x: Tensor, path: string): Tensor;
  layerNorm(x: Tensor, gamma: Tensor, beta: Tensor | null, eps: number): Tensor;
  /** addOne: scale by (1 + gamma) (Gemma) */
  rmsNorm(x: Tensor, gamma: Tensor, eps: number, opts?: { addOne?: boolean }): Tensor;
  activation(x: Tensor, kind: Activation): Tensor;
  swiglu(gate: Tensor, up: Tensor): Tensor;
  attention(q: Tensor, k: Tensor, v: Tensor, mask: Tensor, opts: AttentionOptions): Tensor;
  /** positions offset.. (default 0: a KV cache's new positions start past the cached ones) */
  rope(x: Tensor, opts: RopeOptions): Tensor;
  /** a + b, same shapes */
  add(a: Tensor, b: Tensor): Tensor;
  /** a * b elementwise, same shapes (a GeGLU's gate times up) */
  mul(a: Tensor, b: Tensor): Tensor;
  /** entries start..start+len-1 of `axis` (a fused projection's q|k|v or gate|up part) */
  slice(x: Tensor, axis: number, start: number, len: number): Tensor;
  scale(x: Tensor, s: number): Tensor;
  addPositional(x: Tensor, pos: Positional): Tensor;
  reshape(x: Tensor, shape: readonly number[]): Tensor;
  maskedMeanPool(x: Tensor, mask: Tensor): Tensor;
  pool(x: Tensor, mask: Tensor, mode: 'cls' | 'last'): Tensor;
  l2Normalize(x: Tensor): Tensor;
  /** the forward is done with these tensors */
  free(...ts: Tensor[]): void;
}
