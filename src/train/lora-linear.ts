/**
 * One LoRA-adapted linear on rows x [M, in] (2-D) (frozen W: [in, out] 'kn' or [out, in] 'nk', bias b or none):
 *   y = x·W + b + s · (dropout(x)·A)·B,   s = alpha / r
 * Forward saves what the backward needs (the dropped input and s·(x·A)); the backward accumulates dA
 * and dB into the adapter's gradient buffers and returns dx only when asked (W and b stay frozen).
 */
import type { Backend, Tensor } from '../core/backend';
import type { LoraPair, TrainBackend } from './lora-modules';

/** dropout on the adapter input: keep probability 1 - p, kept values scaled by 1 / (1 - p) */
export interface Dropout {
  readonly p: number;
  readonly rand: () => number;
}

/** What one adapted linear saved for its backward (x itself belongs to the caller). */
export interface LinearTape {
  readonly x: Tensor;
  readonly layout: 'kn' | 'nk';
  readonly pair: LoraPair | null;
  readonly scale: number;
  /** dropout keep-mask (0 or 1/(1-p)) and the dropped input, when dropout was applied */
  readonly keep: Tensor | null;
  readonly xd: Tensor | null;
  /** s · (xd·A): the input of the B product */
  readonly su: Tensor | null;
}

/** Gradient buffers of one adapter. */
export interface LoraGrad {
  readonly A: Tensor;
  readonly B: Tensor;
}

/** y for rows x [M, in]; with `save` the tape for linearLoraBackward (else null and nothing is kept). */
export function linearLora(
  be: Backend,
  x: Tensor,
  w: Tensor,
  bias: Tensor | null,
  layout: 'kn' | 'nk',
  pair: LoraPair | null,
  scale: number,
  dropout: Dropout | null,
  save: boolean,
): { y: Tensor; tape: LinearTape | null } {
  const base = be.linear(x, w, bias, layout);
  if (!pair)
    return { y: base, tape: save ? { x, layout, pair: null, scale, keep: null, xd: null, su: null } : null };
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
  const su = be.scale(u, scale);
  const d = be.matmul(su, pair.B);
  const y = be.add(base, d);
  be.dispose(base, u, d);
  if (!save) {
    be.dispose(su, ...(keep ? [keep] : []), ...(xd ? [xd] : []));
    return { y, tape: null };
  }
  return { y, tape: { x, layout, pair, scale, keep, xd, su } };
}

/** Frees a tape's own tensors (not x). */
export function releaseTape(be: Backend, t: LinearTape | null): void {
  if (!t) return;
  for (const s of [t.keep, t.xd, t.su]) if (s) be.dispose(s);
}

/**
 * Backward of linearLora given dy [M, out]: adds dA, dB into `grad` (when the linear is adapted) and
 * returns dx [M, in] when needDx (else null). Frees the tape; dy stays the caller's.
 */
export function linearLoraBackward(
  be: TrainBackend,
  t: LinearTape,
  w: Tensor,
  dy: Tensor,
  grad: LoraGrad | null,
  needDx: boolean,
): Tensor | null {
  let dx = needDx ? be.matmul(dy, w, { transposeB: t.layout === 'kn' }) : null;
  if (t.pair && t.su) {
    if (!grad) throw new Error('LoRA backward: an adapted linear has no gradient buffers');
    const gb = be.linearBackward(t.su, t.pair.B, dy, 'kn', true);
    be.addInPlace(grad.B, gb.dw, 1);
    const du = be.scale(gb.dx!, t.scale);
    be.dispose(gb.dw, gb.db, gb.dx!);
    const ga = be.linearBackward(t.xd ?? t.x, t.pair.A, du, 'kn', needDx);
    be.addInPlace(grad.A, ga.dw, 1);
    be.dispose(du, ga.dw, ga.db);
    if (ga.dx && dx) {
      const dxl = t.keep ? be.mul(ga.dx, t.keep) : ga.dx;
      const sum = be.add(dx, dxl);
      be.dispose(dx, ga.dx, ...(dxl !== ga.dx ? [dxl] : []));
      dx = sum;
    } else if (ga.dx) {
      be.dispose(ga.dx);
    }
  }
  releaseTape(be, t);
  return dx;
}
