/**
 * What a model uploaded to each backend (its weights, an LM head's row blocks): made on first use, kept
 * until released. Weak, so a backend dropped after a device loss is not kept alive by the model.
 */
import type { Backend, Tensor } from '../../core/backend';

export class PerBackend<T> {
  private readonly uploaded = new WeakMap<Backend, T>();
  private readonly backends = new Set<WeakRef<Backend>>();

  /** `tensors`: the backend tensors a value holds (disposed on release) */
  constructor(private readonly tensors: (value: T) => Iterable<Tensor>) {}

  /** The value on `backend`, made by `make` on first use (which disposes what it made if it throws). */
  get(backend: Backend, make: () => T): T {
    const held = this.uploaded.get(backend);
    if (held !== undefined) return held;
    const v = make();
    this.uploaded.set(backend, v);
    this.backends.add(new WeakRef(backend));
    return v;
  }

  /** Frees what was uploaded to `backend` (or to every backend). */
  release(backend?: Backend): void {
    for (const ref of this.backends) {
      const b = ref.deref();
      if (b && backend && b !== backend) continue;
      this.backends.delete(ref);
      const v = b && this.uploaded.get(b);
      if (!b || v === undefined) continue;
      this.uploaded.delete(b);
      b.dispose(...this.tensors(v));
    }
  }
}
