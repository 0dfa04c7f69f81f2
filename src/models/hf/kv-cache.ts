/**
 * The keys and values a decoder has already computed, per layer, on one backend: generation runs the prompt
 * once (prefill) and then one token per step, each step's attention reading every cached position. Each
 * layer's k and v grow by the step's positions (the backend's concat); `length` counts cached positions.
 * Inference only: the recording op context does not know these tensors. Single sequences (no padding).
 */
import type { Backend, Tensor } from '../../core/backend';

export class KvCache {
  private readonly k: (Tensor | null)[];
  private readonly v: (Tensor | null)[];
  /** positions cached (the next step's first position) */
  length = 0;

  constructor(
    readonly backend: Backend,
    readonly layers: number,
  ) {
    this.k = new Array<Tensor | null>(layers).fill(null);
    this.v = new Array<Tensor | null>(layers).fill(null);
  }

  /**
   * Appends a step's k and v [B, T, Hkv, Dh] of `layer` (the cache takes them) and returns the layer's
   * whole cache [B, length + T, Hkv, Dh], still owned by the cache.
   */
  append(layer: number, k: Tensor, v: Tensor): { k: Tensor; v: Tensor } {
    const be = this.backend;
    const grow = (store: (Tensor | null)[], t: Tensor): Tensor => {
      const old = store[layer];
      if (old === null) {
        if (this.length !== 0) throw new Error(`KvCache: layer ${layer} is empty at position ${this.length}`);
        store[layer] = t;
        return t;
      }
      if (old.shape[1] !== this.length)
        throw new Error(`KvCache: layer ${layer} holds ${old.shape[1]} positions, expected ${this.length}`);
      const joined = be.concat(old, t, 1);
      be.dispose(old, t);
      store[layer] = joined;
      return joined;
    };
    return { k: grow(this.k, k), v: grow(this.v, v) };
  }

  /** every layer has appended a step of `T` positions */
  advance(T: number): void {
    this.length += T;
  }

  /** frees every cached tensor; the cache is empty again */
  release(): void {
    for (const store of [this.k, this.v])
      for (let i = 0; i < store.length; i++) {
        const t = store[i];
        if (t) this.backend.dispose(t);
        store[i] = null;
      }
    this.length = 0;
  }
}
