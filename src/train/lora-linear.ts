/**
 * LoRA as a wrapper around a Linear source (src/nn): on rows x [M, in], for the adapted module paths,
 *   y = base(x) + s · (dropout(x)·A)·B,   s = alpha / r   (A [in, r], B [r, out]; the base stays frozen)
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
      const pair = lora.pairs.get(path);
      const y = base.forward(be, x, path);
      if (!pair) return y;
      const su = lowRankInput(be, x, pair, lora.scale, null);
      const d = be.matmul(su.su, pair.B);
      const out = be.add(y, d);
      be.dispose(y, su.u, d, su.su);
      return out;
    },
    record: (be, x, path) => {
      const pair = lora.pairs.get(path);
      const call = base.record(be, x, path);
      if (!pair) return call;
      const grad = grads?.get(path);
      if (!grad) throw new Error(`LoRA: no gradient buffers for ${path}`);
      return adapted(be, x, call, pair, grad, lora.scale, dropout);
    },
  };
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
  const y = be.add(call.y, d);
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
        const gb = be.linearBackward(su, pair.B, dy, 'kn', true);
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
