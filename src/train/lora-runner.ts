/**
 * What the LoRA forwards of every Hugging Face architecture share: the runner through which adapted
 * linears go (frozen weight + adapter, with their tapes for the backward), the hidden-state tape a
 * forward returns, and gradient accumulation.
 */
import type { Backend, Tensor } from '../core/backend';
import {
  linearLora,
  linearLoraBackward,
  releaseTape,
  type Dropout,
  type LinearTape,
  type LoraGrad,
} from './lora-linear';
import type { LoraSet, TrainBackend } from './lora-modules';

/** t = t + x (consuming both), or x when t is null */
export function accumulate(be: Backend, t: Tensor | null, x: Tensor | null): Tensor | null {
  if (!x) return t;
  if (!t) return x;
  const s = be.add(t, x);
  be.dispose(t, x);
  return s;
}

/** Adapted linears run through this: the frozen weight by short name, its adapter by module path. */
export class LinearRunner {
  readonly tapes = new Map<string, LinearTape>();
  constructor(
    readonly be: Backend,
    readonly W: Map<string, Tensor>,
    readonly lora: LoraSet,
    readonly dropout: Dropout | null,
    readonly save: boolean,
  ) {}

  /** y = x·Wᵀ + b (+ adapter) for the module at `path` ('nk' weights `${path}.weight`, optional bias) */
  run(x: Tensor, path: string): Tensor {
    const w = this.W.get(`${path}.weight`);
    if (!w) throw new Error(`LoRA: no weight ${path}.weight on the device`);
    const r = linearLora(
      this.be,
      x,
      w,
      this.W.get(`${path}.bias`) ?? null,
      'nk',
      this.lora.pairs.get(path) ?? null,
      this.lora.scale,
      this.dropout,
      this.save,
    );
    if (r.tape) this.tapes.set(path, r.tape);
    return r.y;
  }

  /** backward of the module at `path`; frees its tape */
  back(
    be: TrainBackend,
    path: string,
    dy: Tensor,
    grads: ReadonlyMap<string, LoraGrad>,
    needDx: boolean,
  ): Tensor | null {
    const t = this.tapes.get(path);
    if (!t) throw new Error(`LoRA backward: no saved forward for ${path}`);
    this.tapes.delete(path);
    return linearLoraBackward(be, t, this.W.get(`${path}.weight`)!, dy, grads.get(path) ?? null, needDx);
  }

  release(): void {
    for (const t of this.tapes.values()) releaseTape(this.be, t);
    this.tapes.clear();
  }
}

/** The final hidden rows [B*T, H] of a BERT forward and its backward to the adapters. */
export interface HiddenTape {
  readonly hidden: Tensor;
  backward(be: TrainBackend, dHidden: Tensor, grads: ReadonlyMap<string, LoraGrad>): void;
  release(): void;
}
