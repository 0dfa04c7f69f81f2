/**
 * Recycled output arrays for the CPU backend's fast paths. A fresh large Float32Array is zero pages that
 * fault in on first write (measured here: 24 MB allocated and filled, 30 ms; the same copy into memory
 * already touched, 1.2 ms), and a BERT layer at batch 32 makes ten of them. The fast paths take their
 * outputs from here and the backend gives an array back when the last tensor over it is disposed
 * (cpu.ts dispose): only arrays this pool handed out come back, each at most once, and a taken array is
 * fully overwritten by its op (its old contents are never read).
 */

/** arrays smaller than this (floats) are not worth keeping */
const MIN_FLOATS = 1 << 16;
/** bytes of idle arrays kept at most (beyond it an array given back is left to the garbage collector) */
const MAX_IDLE_BYTES = 256 << 20;

export class BufferPool {
  private readonly idle = new Map<number, Float32Array[]>();
  private readonly issued = new WeakSet<Float32Array>();
  private readonly resting = new WeakSet<Float32Array>();
  private idleBytes = 0;

  /** an array of n floats whose contents are garbage: the caller writes every element */
  take(n: number): Float32Array {
    if (n < MIN_FLOATS) return new Float32Array(n);
    const a = this.idle.get(n)?.pop();
    if (a) {
      this.resting.delete(a);
      this.idleBytes -= a.byteLength;
      return a;
    }
    const fresh = new Float32Array(n);
    this.issued.add(fresh);
    return fresh;
  }

  /** a disposed tensor's array: kept for the next take of its size when this pool made it */
  give(a: Float32Array | Uint32Array): void {
    if (!(a instanceof Float32Array) || !this.issued.has(a) || this.resting.has(a)) return;
    if (this.idleBytes + a.byteLength > MAX_IDLE_BYTES) return;
    let list = this.idle.get(a.length);
    if (!list) this.idle.set(a.length, (list = []));
    list.push(a);
    this.resting.add(a);
    this.idleBytes += a.byteLength;
  }

  /** drops every idle array */
  clear(): void {
    this.idle.clear();
    this.idleBytes = 0;
  }

  /** bytes kept idle now */
  get bytes(): number {
    return this.idleBytes;
  }
}
