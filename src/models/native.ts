/**
 * What the studio's native models (USE-lite, Hugging Face encoders and decoders) share: their forward is
 * written once against an op context (src/nn) with an injectable Linear source, so the same code embeds
 * with plain weights, trains LoRA (base + adapters, recorded for the backward) and later runs merged
 * weights or a KV cache.
 */
import type { Backend, Tensor } from '../core/backend';
import { inferenceOps } from '../nn/inference';
import type { Linear, LinearModule, Ops } from '../nn/ops';
import type { Embedder } from './types';
import { firstNonFiniteRow, NonFiniteError, tracingLinear } from './finite';

/** Texts split into the model's batches (text indices) and the forward of one batch. */
export interface NativePlan {
  readonly groups: readonly (readonly number[])[];
  /** L2-normalised rows [group.length, dim] of one batch, in group order (the caller frees them) */
  forward(ops: Ops, group: readonly number[]): Tensor;
}

/** A linear's weights on the host: w in the model's layout ('kn' [in, out] or 'nk' [out, in]), the bias or null. */
export interface HostLinear {
  readonly w: Float32Array;
  readonly layout: 'kn' | 'nk';
  readonly b: Float32Array | null;
}

/** A linear's weight as [out, in] (PyTorch / PEFT layout; a fresh array for 'kn', the same for 'nk'). */
export function weightOutIn(h: HostLinear, m: LinearModule): Float32Array {
  if (h.layout === 'nk') return h.w;
  const out = new Float32Array(h.w.length);
  for (let i = 0; i < m.inDim; i++)
    for (let o = 0; o < m.outDim; o++) out[o * m.inDim + i] = h.w[i * m.outDim + o];
  return out;
}

export interface NativeEmbedder extends Embedder {
  /** every linear of the model, in forward order */
  readonly linears: readonly LinearModule[];
  /** the host weights of the linear at `path` (merging reads θ_base there; throws for an unknown path) */
  hostLinear(path: string): HostLinear;
  /** the model's own weights on `be` (uploaded on first use) as a Linear source */
  weightsLinear(be: Backend): Linear;
  plan(be: Backend, texts: readonly string[]): NativePlan;
}

/** Embeds texts batch by batch with `lin` as the linears (inference: nothing is kept). */
export async function embedNative(
  model: NativeEmbedder,
  be: Backend,
  texts: readonly string[],
  lin: Linear,
): Promise<Float32Array> {
  const dim = model.dim;
  const out = new Float32Array(texts.length * dim);
  if (texts.length === 0) return out;
  const plan = model.plan(be, texts);
  const ops = inferenceOps(be, lin);
  for (const group of plan.groups) {
    const normed = plan.forward(ops, group);
    let rows: Float32Array;
    try {
      rows = await be.readF32(normed);
    } finally {
      be.dispose(normed);
    }
    const bad = firstNonFiniteRow(rows, dim);
    if (bad >= 0) throw await nonFinite(model, be, texts[group[bad]], group[bad], lin);
    group.forEach((i, r) => out.set(rows.subarray(r * dim, (r + 1) * dim), i * dim));
  }
  return out;
}

/** A diagnostic forward of the one text, tracing every linear, to name where NaN/Infinity first appears. */
async function nonFinite(
  model: NativeEmbedder,
  be: Backend,
  text: string,
  index: number,
  lin: Linear,
): Promise<NonFiniteError> {
  const trace = tracingLinear(lin);
  try {
    const plan = model.plan(be, [text]);
    be.dispose(plan.forward(inferenceOps(be, trace), plan.groups[0]));
    const where = (await trace.firstBad()) ?? 'after the last linear layer (a norm or the pooling)';
    return new NonFiniteError(model.id, index, where);
  } finally {
    trace.dispose();
  }
}
