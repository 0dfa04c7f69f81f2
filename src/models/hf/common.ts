/** Pieces shared by the encoder and decoder forward passes. */
import type { Backend, Tensor } from '../../core/backend';
import { plainLinear } from '../../nn/linear';
import type { Linear, LinearCall, Ops } from '../../nn/ops';
import type { HostLinear } from '../native';
import { blocksOf, type Weights } from './weights';

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
 * Rows of the table `name` for `ids` as [ids.length, D] by a gather kernel; a table uploaded in row blocks
 * (weights.ts: larger than one tensor of the backend) is gathered block by block (each id from its block),
 * the parts joined and put back in the ids' order by one more gather. Frozen: no gradient.
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
  const blocks = blocksOf(on, name);
  if (!blocks.length) throw new Error(`table ${w.prefix}${name} is not on the device`);
  const be = ops.backend;
  const [vocab] = w.shape(name);
  const order: number[] = []; // positions of ids, block by block
  const parts: Tensor[] = [];
  try {
    let start = 0;
    for (const b of blocks) {
      const n = b.shape[0];
      const local: number[] = [];
      for (let p = 0; p < ids.length; p++) {
        if (ids[p] >= vocab) throw new Error(`${w.prefix}${name}: row ${ids[p]} out of range [0, ${vocab})`);
        if (ids[p] >= start && ids[p] < start + n) {
          local.push(ids[p] - start);
          order.push(p);
        }
      }
      if (local.length) {
        const idT = be.tensor(Uint32Array.from(local), [local.length]);
        parts.push(be.gather(b, idT));
        be.dispose(idT);
      }
      start += n;
    }
    let cat = parts[0];
    for (let i = 1; i < parts.length; i++) {
      const next = be.concat(cat, parts[i], 0);
      if (i > 1) be.dispose(cat);
      cat = next;
    }
    const back = new Uint32Array(ids.length);
    order.forEach((p, i) => (back[p] = i));
    const backT = ops.input(back, [ids.length]);
    const rows = ops.gather(cat, backT);
    ops.free(backT);
    if (parts.length > 1) be.dispose(cat);
    return rows;
  } finally {
    be.dispose(...parts);
  }
}

/**
 * The linears of an HF model from its uploaded weights ('nk' `${path}.weight`, optional `${path}.bias`).
 * A weight uploaded in row blocks (larger than one tensor of the backend) runs block by block, the
 * outputs joined on the last axis; it is frozen, and its dx is the sum over blocks of dy's columns for
 * that block times the block (dy[.., rows_i] · W_i), so LoRA trains through it as through a whole one.
 */
export function hfLinear(on: Map<string, Tensor>): Linear {
  const plain = plainLinear('nk', (path) => {
    const w = on.get(`${path}.weight`);
    if (!w) throw new Error(`no weight ${path}.weight on the device`);
    return { w, b: on.get(`${path}.bias`) ?? null };
  });
  const blocksFor = (path: string): Tensor[] | null => {
    if (on.has(`${path}.weight`)) return null;
    const blocks = blocksOf(on, `${path}.weight`);
    if (!blocks.length) throw new Error(`no weight ${path}.weight on the device`);
    return blocks;
  };
  const forward = (be: Backend, x: Tensor, path: string, blocks: Tensor[]): Tensor => {
    let y = be.linear(x, blocks[0], null, 'nk');
    for (let i = 1; i < blocks.length; i++) {
      const part = be.linear(x, blocks[i], null, 'nk');
      const next = be.concat(y, part, y.shape.length - 1);
      be.dispose(y, part);
      y = next;
    }
    const bias = on.get(`${path}.bias`);
    if (!bias) return y;
    const out = be.add(y, bias);
    be.dispose(y);
    return out;
  };
  /** dx = sum_i dy[.., rows of block i] · W_i */
  const dx = (be: Backend, dy: Tensor, blocks: Tensor[]): Tensor => {
    const axis = dy.shape.length - 1;
    let acc: Tensor | null = null;
    let at = 0;
    for (const w of blocks) {
      const rows = w.shape[0];
      const part = be.slice(dy, axis, at, rows);
      const d = be.linear(part, w, null, 'kn');
      be.dispose(part);
      at += rows;
      if (!acc) acc = d;
      else {
        const sum = be.add(acc, d);
        be.dispose(acc, d);
        acc = sum;
      }
    }
    return acc!;
  };
  return {
    forward: (be, x, path) => {
      const blocks = blocksFor(path);
      return blocks ? forward(be, x, path, blocks) : plain.forward(be, x, path);
    },
    record: (be, x, path): LinearCall => {
      const blocks = blocksFor(path);
      if (!blocks) return plain.record(be, x, path);
      return {
        y: forward(be, x, path, blocks),
        trainable: false,
        backward: (dy, needDx) => (needDx ? dx(be, dy, blocks) : null),
        release: () => {},
      };
    },
  };
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
