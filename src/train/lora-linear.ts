/**
 * LoRA as a wrapper around a Linear source (src/nn): on rows x [M, in], for the adapted module paths,
 *   y = base(x) + s · (dropout(x)·A)·B,   s = alpha / r   (A [in, r], B [r, out]; the base stays frozen)
 * A row-slice adapter of a fused linear (B [r, len]) adds into output columns start..start+len-1 only, and
 * its backward sees those columns of dy; several adapters on one linear (its slices) each add theirs.
 * with its backward beside it: dA and dB accumulate into the adapter's gradient buffers, dx (when asked)
 * is the base's plus the low-rank path's. Paths without an adapter are the base linear unchanged.
 */
import type { Backend, Tensor } from '../core/backend';
import type { Linear, LinearCall } from '../nn/ops';
import type { LoraPair, LoraSet } from './lora-modules';

/** dropout on the adapter input: keep probability 1 - p, kept values scaled by 1 / (1 - p) */
export interface Dropout {
  readonly p: number;
  readonly rand: () => number;
}

/** Gradient buffers of one adapter. */
export interface LoraGrad {
  readonly A: Tensor;
  readonly B: Tensor;
}

/**
 * `base` plus the adapters of `lora`. `grads` (by module path) receive dA, dB in backward; null for a
 * source that only runs forward. `dropout` applies to recorded calls (training).
 */
export function loraLinear(
  base: Linear,
  lora: LoraSet,
  grads: ReadonlyMap<string, LoraGrad> | null,
  dropout: Dropout | null,
): Linear {
  return {
    forward: (be, x, path) => {
      let y = base.forward(be, x, path);
      for (const pair of lora.pairs.get(path) ?? []) {
        const su = lowRankInput(be, x, pair, lora.scale, null);
        const d = be.matmul(su.su, pair.B);
        const out = addInto(be, y, d, pair);
        be.dispose(y, su.u, d, su.su);
        y = out;
      }
      return y;
    },
    record: (be, x, path) => {
      let call = base.record(be, x, path);
      for (const pair of lora.pairs.get(path) ?? []) {
        const grad = grads?.get(pair.key);
        if (!grad) {
          call.release();
          throw new Error(`LoRA: no gradient buffers for ${pair.key}`);
        }
        call = adapted(be, x, call, pair, grad, lora.scale, dropout);
      }
      return call;
    },
  };
}

/**
 * y + d: d [rows, out] for a whole-linear adapter, or d [rows, len] added into y's columns
 * start..start+len-1 for a row-slice adapter (d zero-padded to y's width by sliceBackward, the other
 * columns unchanged). A new tensor; y and d stay.
 */
function addInto(be: Backend, y: Tensor, d: Tensor, pair: LoraPair): Tensor {
  if (!pair.slice) return be.add(y, d);
  const padded = be.sliceBackward(d, 1, pair.slice.start, pair.slice.total);
  const out = be.add(y, padded);
  be.dispose(padded);
  return out;
}

/** s·(xd·A) with xd = dropout(x) (or x): the input of the B product, plus what the backward needs */
function lowRankInput(
  be: Backend,
  x: Tensor,
  pair: LoraPair,
  scale: number,
  dropout: Dropout | null,
): { u: Tensor; su: Tensor; keep: Tensor | null; xd: Tensor | null } {
  let keep: Tensor | null = null;
  let xd: Tensor | null = null;
  if (dropout && dropout.p > 0) {
    const q = 1 / (1 - dropout.p);
    const k = new Float32Array(x.size);
    for (let i = 0; i < k.length; i++) k[i] = dropout.rand() < dropout.p ? 0 : q;
    keep = be.tensor(k, x.shape);
    xd = be.mul(x, keep);
  }
  // matmul, not linear: the CPU backend caches linear()'s prepared weights per array, and A and B change in place
  const u = be.matmul(xd ?? x, pair.A);
  return { u, su: be.scale(u, scale), keep, xd };
}

/** A recorded adapted call: the base call plus the low-rank path, with their backward. */
function adapted(
  be: Backend,
  x: Tensor,
  call: LinearCall,
  pair: LoraPair,
  grad: LoraGrad,
  scale: number,
  dropout: Dropout | null,
): LinearCall {
  const { u, su, keep, xd } = lowRankInput(be, x, pair, scale, dropout);
  const d = be.matmul(su, pair.B);
  const y = addInto(be, call.y, d, pair);
  be.dispose(call.y, u, d);
  let live = true;
  const release = () => {
    if (!live) return;
    live = false;
    call.release();
    be.dispose(su, ...(keep ? [keep] : []), ...(xd ? [xd] : []));
  };
  return {
    y,
    trainable: true,
    backward: (dy, needDx) => {
      try {
        let dx = call.backward(dy, needDx);
        // a row-slice adapter sees its columns of dy only
        const dys = pair.slice ? be.slice(dy, 1, pair.slice.start, pair.B.shape[1]) : dy;
        const gb = be.linearBackward(su, pair.B, dys, 'kn', true);
        if (dys !== dy) be.dispose(dys);
        be.addInPlace(grad.B, gb.dw, 1);
        const du = be.scale(gb.dx!, scale);
        be.dispose(gb.dw, gb.db, gb.dx!);
        const ga = be.linearBackward(xd ?? x, pair.A, du, 'kn', needDx);
        be.addInPlace(grad.A, ga.dw, 1);
        be.dispose(du, ga.dw, ga.db);
        if (ga.dx && dx) {
          const dxl = keep ? be.mul(ga.dx, keep) : ga.dx;
          const sum = be.add(dx, dxl);
          be.dispose(dx, ga.dx, ...(dxl !== ga.dx ? [dxl] : []));
          dx = sum;
        } else if (ga.dx) {
          be.dispose(ga.dx);
        }
        return dx;
      } finally {
        release();
      }
    },
    release,
  };
}
