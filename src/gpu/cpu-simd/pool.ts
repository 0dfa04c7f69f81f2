/**
 * Recycled output arrays for the CPU backend's fast paths. A fresh large Float32Array is zero pages that
 * fault in on first write (measured here: 24 MB allocated and filled, 30 ms; the same copy into memory
 * already touched, 1.2 ms), and a BERT layer at batch 32 makes ten of them. The fast paths take their
 * outputs from here and the backend gives an array back when the last tensor over it is disposed
 * (cpu.ts dispose): only arrays this pool handed out come back, each at most once, and a taken array is
 * fully overwritten by its op (its old contents are never read).
 *
 * Small outputs (one text at a time: a few thousand floats each, ~80 per BERT forward) are recycled too:
 * a fresh small Float32Array costs 10-60 µs here (measured), about a millisecond per forward. They come
 * from size classes (powers of two) as views of the class's array (`subarray(0, n)`), because each text
 * has its own length and exact sizes would rarely meet again.
 */

/** arrays of at least this many floats are kept by their exact size; smaller ones by size class */
const MIN_FLOATS = 1 << 16;
/** the smallest size class (floats) */
const MIN_CLASS = 256;
/** bytes of idle arrays kept at most (beyond it an array given back is left to the garbage collector) */
const MAX_IDLE_BYTES = 256 << 20;

export class BufferPool {
  private readonly idle = new Map<number, Float32Array[]>();
  private readonly issued = new WeakSet<Float32Array>();
  private readonly resting = new WeakSet<Float32Array>();
  /** the class array under each view handed out */
  private readonly base = new WeakMap<Float32Array, Float32Array>();
  private idleBytes = 0;

  /** an array of n floats whose contents are garbage: the caller writes every element */
  take(n: number): Float32Array {
    if (n === 0) return new Float32Array(0);
    const size = n < MIN_FLOATS ? Math.max(MIN_CLASS, 2 ** Math.ceil(Math.log2(n))) : n;
    let a = this.idle.get(size)?.pop();
    if (a) {
      this.resting.delete(a);
      this.idleBytes -= a.byteLength;
    } else {
      a = new Float32Array(size);
      this.issued.add(a);
    }
    if (size === n) return a;
    const view = a.subarray(0, n);
    this.base.set(view, a);
    return view;
  }

  /** a disposed tensor's array: kept for the next take of its size (class) when this pool made it */
  give(given: Float32Array | Uint32Array): void {
    if (!(given instanceof Float32Array)) return;
    const a = this.base.get(given) ?? given;
    this.base.delete(given);
    if (!this.issued.has(a) || this.resting.has(a)) return;
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
