/** Pieces shared by the encoder and decoder forward passes. */
import type { Tensor } from '../../core/backend';
import { plainLinear } from '../../nn/linear';
import type { Linear, Ops } from '../../nn/ops';
import type { HostLinear } from '../native';
import type { Weights } from './weights';

/** A right-padded batch of token ids. */
export interface TokenBatch {
  readonly batch: number;
  readonly seqLen: number;
  /** [batch * seqLen] token ids (padding positions hold any valid id) */
  readonly ids: Uint32Array;
  /** [batch * seqLen] 1 for real tokens, 0 for padding; each row is 1s then 0s */
  readonly mask: Float32Array;
  /** [batch * seqLen] segment ids (BERT); zeros when absent */
  readonly typeIds?: Uint32Array;
}

/** Builds a right-padded TokenBatch from per-text id lists (pad id 0 unless given). */
export function padBatch(seqs: readonly (readonly number[])[], padId = 0): TokenBatch {
  const batch = seqs.length;
  if (batch === 0) throw new Error('padBatch: empty batch');
  const seqLen = Math.max(1, ...seqs.map((s) => s.length));
  const ids = new Uint32Array(batch * seqLen).fill(padId);
  const mask = new Float32Array(batch * seqLen);
  seqs.forEach((s, b) => {
    ids.set(s, b * seqLen);
    mask.fill(1, b * seqLen, b * seqLen + s.length);
  });
  return { batch, seqLen, ids, mask };
}

export function checkBatch(input: TokenBatch, vocab: number, maxPositions: number, what: string): void {
  const { batch, seqLen, ids, mask } = input;
  if (!(batch >= 1 && seqLen >= 1) || ids.length !== batch * seqLen || mask.length !== batch * seqLen) {
    throw new Error(
      `${what}: batch ${batch} x ${seqLen} does not match ids (${ids.length}) / mask (${mask.length})`,
    );
  }
  if (seqLen > maxPositions)
    throw new Error(`${what}: sequence length ${seqLen} exceeds the model's ${maxPositions} positions`);
  for (let i = 0; i < ids.length; i++) {
    if (ids[i] >= vocab)
      throw new Error(`${what}: token id ${ids[i]} at position ${i} is outside the vocabulary (${vocab})`);
  }
}

/**
 * Rows of the table `name` for `ids` as [ids.length, D]: a gather kernel when the table is on the device,
 * else read from the weight file on the host (tables over the device's tensor limit). Frozen: no gradient.
 */
export function lookup(
  ops: Ops,
  w: Weights,
  on: Map<string, Tensor>,
  name: string,
  ids: Uint32Array,
): Tensor {
  const table = on.get(name);
  if (table) {
    const idT = ops.input(ids, [ids.length]);
    const rows = ops.gather(table, idT);
    ops.free(idT);
    return rows;
  }
  const [, d] = w.shape(name);
  return ops.input(w.rows(name, ids), [ids.length, d]);
}

/** The linears of an HF model from its uploaded weights ('nk' `${path}.weight`, optional `${path}.bias`). */
export function hfLinear(on: Map<string, Tensor>): Linear {
  return plainLinear('nk', (path) => {
    const w = on.get(`${path}.weight`);
    if (!w) throw new Error(`no weight ${path}.weight on the device`);
    return { w, b: on.get(`${path}.bias`) ?? null };
  });
}

/** The host weights of an HF linear ('nk' `${path}.weight`, optional `${path}.bias`) from the model's file. */
export function hfHostLinear(w: Weights, path: string): HostLinear {
  if (!w.has(`${path}.weight`)) throw new Error(`no linear ${path} in ${w.src.file}`);
  return {
    w: w.data(`${path}.weight`),
    layout: 'nk',
    b: w.has(`${path}.bias`) ? w.data(`${path}.bias`) : null,
  };
}
